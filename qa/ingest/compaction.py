"""Giving back the room of replaced chunks while the server runs.

Chroma's vector index keeps the room of every deleted or replaced chunk; only a fresh index gives
it back (bench/README, "Disk under updates"). So the one process that writes to an embedded store
(``qa serve``) looks now and then, and when the replaced chunks are as many as the live ones or more (and are at
least ``QA_COMPACT_MIN_REPLACED``), rebuilds the index from the stored vectors: the switch of
``qa reindex --rebuild``, with reads served throughout and no write lost to it. The writes it
meets are this process's own: at the switch, which holds writes off for its moment, the chunks
written or deleted since the last copy pass are carried over or dropped, so reads never switch to
an index that misses one.

A stop (the server shutting down) ends the rebuild after its current batch; the next one resumes it.
"""

from __future__ import annotations

import logging
import threading

from qa.embeddings import Embedder
from qa.ingest.reindex import ReindexReport, finish_interrupted, reindex
from qa.store.protocol import ReindexableStore

log = logging.getLogger(__name__)


class _Stopped(Exception):
    pass


class Compactor:
    def __init__(self, store: ReindexableStore, embedder: Embedder, min_replaced: int, every_s: float) -> None:
        self.store = store
        self.embedder = embedder
        self.min_replaced = min_replaced
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self) -> bool:
        """Whether the replaced chunks are at least ``min_replaced`` and at least as many as the live ones."""
        if self.min_replaced <= 0:
            return False
        replaced = self.store.replaced_chunks()
        return replaced >= self.min_replaced and replaced >= self.store.count_chunks()

    def run_once(self) -> ReindexReport | None:
        """Rebuild the index if it is due; its report, or None. A rebuild stopped after its switch
        (a crash, a stop) is finished first, due or not: its old collection still takes room."""
        if finish_interrupted(self.store, self.embedder):
            log.info("compaction: finished a rebuild that stopped after its switch")
        if not self.due():
            return None
        replaced = self.store.replaced_chunks()

        def stop_between_batches(_: int) -> None:
            if self._stop.is_set():
                raise _Stopped

        report = reindex(self.store, self.embedder, rebuild=True, after_batch=stop_between_batches)
        log.info(
            "compaction: the vector index held the room of %d replaced chunks; rebuilt with %d live chunks in %.1f s",
            replaced,
            report.copied + report.resumed,
            report.seconds,
        )
        return report

    def start(self) -> None:
        """Check every ``every_s`` seconds, in the background, until :meth:`stop`."""
        if self.min_replaced <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="qa-compaction", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if not self._thread.is_alive():  # else it stops after its batch; start() must not run a second one
                self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.run_once()
            except _Stopped:
                log.info("compaction: stopped between batches; the next run resumes it")
                return
            except Exception:  # the store is down, say: the next look tries again
                log.warning("compaction: rebuilding the vector index failed; will try again", exc_info=True)
