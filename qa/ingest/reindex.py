"""Re-embed every stored chunk with another embedder (``qa reindex``), with reads served throughout.

With ``rebuild`` and the same embedder, nothing is embedded: the stored vectors are copied into a
fresh index (``qa reindex --rebuild``). Chroma's vector index never gives back the room of deleted
or replaced chunks, so a store whose articles are updated often grows with every update; a rebuild
keeps only the live chunks, and repairs an index whose chunks stopped finding themselves.

The new vectors go into a new chunks collection while reads keep being served from the old one.
One record then switches the store to the new collection (the commit point), and the old one is
dropped. A run that stops (a crash, Ctrl-C, the endpoint down) resumes where it stopped: chunks
already in the new collection are not embedded again. Articles written or deleted meanwhile are
caught up before the switch, and writes that raced the switch are copied from the old collection
before it is dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.embeddings import Embedder
from qa.models import embedding_text
from qa.store.protocol import ReindexableStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks in the new collection, chunks to have there)
AfterBatch = Callable[[int], None]  # called with the number of batches written so far


@dataclass
class ReindexReport:
    identity: str  # the embedder the store's vectors come from after the run
    previous: str | None  # the one they came from before (None: an empty store)
    dim: int = 0
    embedded: int = 0  # chunks this run embedded
    resumed: int = 0  # chunks an interrupted run had already embedded
    copied: int = 0  # chunks a rebuild carried over with their stored vectors
    removed: int = 0  # chunks deleted from the store during the run, so not carried over
    switched: bool = False  # False: there was nothing to do
    seconds: float = 0.0


def _copy(store: ReindexableStore, embedder: Embedder, source: str, target: str, ids: Sequence[str]) -> int:
    recs = store.chunks_in(source, ids)
    if not recs:
        return 0
    vectors = embedder.embed([embedding_text(r.title, r.chunk.text) for r in recs])
    return store.copy_chunks(source, target, {r.chunk.id: v for r, v in zip(recs, vectors, strict=True)})


def _carry(store: ReindexableStore, source: str, target: str, ids: Sequence[str]) -> int:
    return store.copy_chunks(source, target, store.vectors_in(source, ids))


def _finish(store: ReindexableStore, embedder: Embedder, retired: str) -> None:
    """Copy the writes that raced the switch (committed chunks only the retired collection has), then drop it."""
    live = store.live_chunks()
    record = store.embedder_record()
    late = sorted(store.chunk_ids_in(retired) - store.chunk_ids_in(live))
    if late and record is not None and record.identity == embedder.model_id:
        versions = store.article_versions(fresh=True)
        recs = store.chunks_in(retired, late)
        committed = [r.chunk.id for r in recs if versions.get(r.chunk.article_id) == r.version]
        if committed:
            log.warning("reindex: copying %d chunks written during the switch", len(committed))
            _copy(store, embedder, retired, live, committed)
    store.finish_reindex()


def finish_interrupted(store: ReindexableStore, embedder: Embedder) -> bool:
    """Finish a run that stopped between its switch and its clean-up; whether there was one."""
    retired = store.retired_chunks()
    if retired is None:
        return False
    _finish(store, embedder, retired)
    return True


def reindex(
    store: ReindexableStore,
    embedder: Embedder,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
    rebuild: bool = False,
) -> ReindexReport:
    """Re-embed the store's chunks with ``embedder`` and switch reads to the new vectors; with
    ``rebuild``, where the vectors come from ``embedder`` already, copy them into a fresh index.

    ``after_batch`` runs after each batch is written; raising there stops the run as a crash
    would (the tests' way to interrupt it at a known point).
    """
    if batch_size < 1:
        raise ValueError("batch_size >= 1 is required")
    t0 = time.perf_counter()
    identity = embedder.model_id
    finish_interrupted(store, embedder)  # a run stopped between its switch and the clean-up
    before = store.embedder_record()
    report = ReindexReport(identity=identity, previous=before.identity if before else None)
    same = before is not None and before.identity == identity
    target = store.begin_reindex(identity, rebuild=rebuild)
    if target is None:
        report.identity = before.identity if before else identity
        report.dim = before.dim if before else 0
        report.seconds = round(time.perf_counter() - t0, 2)
        return report
    source = store.live_chunks()
    done = store.chunk_ids_in(target)
    report.resumed = len(done)
    batches = 0
    # Until the new collection holds exactly the live chunks: articles written or deleted while a
    # pass ran are caught up by the next one.
    while True:
        live = store.chunk_ids_in(source)
        stale = sorted(done - live)
        if stale:
            store.delete_chunks_in(target, stale)
            done.difference_update(stale)
            report.removed += len(stale)
        todo = sorted(live - done)
        if not todo:
            break
        if progress:
            progress(len(done), len(live))
        for lo in range(0, len(todo), batch_size):
            batch = todo[lo : lo + batch_size]
            if same:  # a rebuild: the vectors are already this embedder's
                report.copied += _carry(store, source, target, batch)
            else:
                report.embedded += _copy(store, embedder, source, target, batch)
            done.update(batch)  # one deleted meanwhile counts as done: the next pass removes it
            batches += 1
            if progress:
                progress(len(done), len(live))
            if after_batch:
                after_batch(batches)
    report.dim = before.dim if same and before is not None else embedder.dim
    old = store.switch_chunks(target, identity, report.dim, catch_up=same)
    report.switched = True
    _finish(store, embedder, old)
    report.seconds = round(time.perf_counter() - t0, 2)
    log.info(
        "reindex: %d chunks embedded, %d copied (%d resumed) with %s, %d dims, in %.1f s",
        report.embedded,
        report.copied,
        report.resumed,
        identity,
        report.dim,
        report.seconds,
    )
    return report
