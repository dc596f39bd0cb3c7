"""Giving back the room of replaced chunks while the server runs.

Chroma's vector index keeps the room of every deleted or replaced chunk; only a fresh index gives
it back (bench/README, "Disk under updates"). So the one process that writes to an embedded store
(``qa serve``) looks now and then, and when the replaced chunks outnumber the live ones (and are at
least ``QA_COMPACT_MIN_REPLACED``), rebuilds the index from the stored vectors: the switch of
``qa reindex --rebuild``, with reads and writes served throughout, and no write lost to it: the
writes it meets are this process's own, the switch takes the store's write lock, and a write that
landed in the old collection after its last pass is copied over (embedded again: the only text it
embeds) before the old collection goes.

A stop (the server shutting down) ends the rebuild after its current batch; the next one resumes it.
"""

from __future__ import annotations

import logging
import threading

from qa.embeddings import Embedder
from qa.ingest.reindex import ReindexReport, reindex
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
        """Whether the replaced chunks are at least ``min_replaced`` and outnumber the live ones."""
        if self.min_replaced <= 0:
            return False
        replaced = self.store.replaced_chunks()
        return replaced >= self.min_replaced and replaced >= self.store.count_chunks()

    def run_once(self) -> ReindexReport | None:
        """Rebuild the index if it is due; its report, or None."""
        if not self.due():
            return None
        replaced = self.store.replaced_chunks()

        def stop_between_batches(_: int) -> None:
            if self._stop.is_set():
                raise _Stopped

        report = reindex(self.store, self.embedder, rebuild=True, after_batch=stop_between_batches)
        # A write between the last pass and the switch deleted its old chunks from the old
        # collection only; invisible in the new one (no committed version owns them), they go now.
        stale = self.store.repair()
        log.info(
            "compaction: the vector index held the room of %d replaced chunks; rebuilt with %d live chunks "
            "in %.1f s (%d stale removed)",
            replaced,
            report.copied + report.resumed,
            report.seconds,
            stale,
        )
        return report

    def start(self) -> None:
        """Check every ``every_s`` seconds, in the background, until :meth:`stop`."""
        if self.min_replaced <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="qa-compaction", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
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
