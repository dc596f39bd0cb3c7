"""Moving a Chroma store to another embedder's vectors (:class:`qa.store.protocol.Reindexable`):
a new chunks collection filled beside the live one, then one switch record that readers follow."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Protocol

import chromadb.errors
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from qa.store.chroma_records import _PLACEHOLDER, _REINDEX, _batches, _pages, _read, _records_by_id, _rows
from qa.store.protocol import ChunkRecord, EmbedderRecord
from qa.store.segments import remove_orphan_segments


class _Store(Protocol):
    """What of :class:`~qa.store.chroma.ChromaStore` the reindex steps use."""

    _client: ClientAPI
    _prefix: str
    _meta: Collection
    _live: Collection
    _bound: str | None
    _persist_dir: Path | None
    _write_lock: threading.RLock

    def revision(self) -> str: ...
    def embedder_record(self) -> EmbedderRecord | None: ...
    def _chunk_collection(self, name: str) -> Collection: ...
    def _writing(self) -> AbstractContextManager[None]: ...
    def _write_record(self, record: EmbedderRecord, collection: str) -> None: ...
    def _bump(self, removed: int = 0, fresh_index: bool = False) -> None: ...
    def _stored_replaced(self) -> int: ...
    def chunk_ids_in(self, collection: str) -> set[str]: ...
    def vectors_in(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...
    def copy_chunks(self, source: str, target: str, vectors: Mapping[str, np.ndarray]) -> int: ...
    def delete_chunks_in(self, collection: str, ids: Sequence[str]) -> None: ...
    def live_chunks(self) -> str: ...
    def retired_chunks(self) -> str | None: ...
    def finish_reindex(self) -> None: ...
    def drop_chunks(self, collection: str) -> None: ...


class ChromaReindex:
    """The reindex steps of :class:`~qa.store.chroma.ChromaStore`."""

    # Set by the store; the switch moves both.
    _live: Collection
    _bound: str | None

    def live_chunks(self: _Store) -> str:
        """The name of the chunks collection reads are served from."""
        self.revision()
        return self._live.name

    def replaced_chunks(self: _Store) -> int:
        """Chunks deleted from the live collection since it was made (updates, deletes, repairs):
        Chroma's vector index keeps their room until a rebuild makes a fresh one. Counted since
        the version that began counting."""
        return self._stored_replaced()

    def begin_reindex(self: _Store, identity: str, rebuild: bool = False) -> str | None:
        """The collection to re-embed into for ``identity``: the one an interrupted run for it left
        (so it resumes), else a new one. None when there is nothing to do: the vectors already come
        from it (unless ``rebuild``: the same vectors into a fresh index), or the store is empty
        (its first write will record the embedder)."""
        with self._write_lock:
            stored = self.embedder_record()
            metas = self._meta.get(ids=[_REINDEX], include=["metadatas"])["metadatas"] or []
            pending = metas[0] if metas else None
            if pending is not None:
                pending_chunks = str(pending["chunks"])
                if pending_chunks == self._live.name:  # switched already: done but for its clean-up
                    self.finish_reindex()
                elif (
                    str(pending["identity"]) == identity
                    and stored is not None
                    and (rebuild or stored.identity != identity)
                ):
                    self._chunk_collection(pending_chunks)
                    return pending_chunks
                else:
                    self.drop_chunks(pending_chunks)  # another embedder's unfinished run
                    self._meta.delete(ids=[_REINDEX])
            if stored is None or (stored.identity == identity and not rebuild):
                return None
            name = f"{self._prefix}_chunks_{uuid.uuid4().hex[:8]}"
            # Recorded before it is made: a crash in between leaves nothing a later run would not find.
            self._meta.upsert(
                ids=[_REINDEX],
                embeddings=_PLACEHOLDER,
                documents=[identity],
                metadatas=[{"identity": identity, "chunks": name}],
            )
            self._chunk_collection(name)
            return name

    def chunk_ids_in(self: _Store, collection: str) -> set[str]:
        col = self._chunk_collection(collection)
        return {cid for page in _pages(col.get, include=[]) for cid in page["ids"]}

    def chunks_in(self: _Store, collection: str, ids: Sequence[str]) -> list[ChunkRecord]:
        """The named chunks of a collection that are still there, with their text."""
        return list(_records_by_id(self._chunk_collection(collection), ids))

    def vectors_in(self: _Store, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those chunks of a collection that are still there."""
        col, found = self._chunk_collection(collection), dict[str, np.ndarray]()
        for batch in _batches(ids):
            page = _read(partial(col.get, ids=list(batch), include=["embeddings"]))
            vecs = page["embeddings"] if page["embeddings"] is not None else []
            found.update((cid, np.asarray(v, dtype=np.float32)) for cid, v in zip(page["ids"], vecs, strict=True))
        return found

    def copy_chunks(self: _Store, source: str, target: str, vectors: Mapping[str, np.ndarray]) -> int:
        """Copy chunks (text and metadata, as stored) from ``source`` into ``target`` with new
        vectors; those gone from ``source`` meanwhile are skipped. Returns how many were copied."""
        src, dst = self._chunk_collection(source), self._chunk_collection(target)
        ids = list(vectors)
        copied = 0
        for batch in _batches(ids):
            page = _read(partial(src.get, ids=list(batch), include=["documents", "metadatas"]))
            rows = [
                (cid, doc, m)
                for cid, doc, m in _rows(page, "documents", "metadatas")
                if doc is not None and m is not None
            ]
            if rows:
                dst.upsert(
                    ids=[cid for cid, _, _ in rows],
                    embeddings=np.stack([np.asarray(vectors[cid], dtype=np.float32) for cid, _, _ in rows]),
                    documents=[str(doc) for _, doc, _ in rows],
                    metadatas=[m for _, _, m in rows],
                )
                copied += len(rows)
        return copied

    def delete_chunks_in(self: _Store, collection: str, ids: Sequence[str]) -> None:
        col = self._chunk_collection(collection)
        for batch in _batches(ids):
            col.delete(ids=list(batch))

    def switch_chunks(self: _Store, target: str, identity: str, dim: int, catch_up: bool = False) -> str:
        """The reindex's commit point: one record now names ``target`` as the collection reads are
        served from, and ``identity`` as its embedder. Returns the previous collection's name, which
        stays (as :meth:`retired_chunks`) until :meth:`finish_reindex`, so that writes which raced the
        switch can be copied from it, even by a later run if this one stops first.

        ``catch_up`` (a rebuild: ``target``'s vectors are the same embedder's): first, under the
        write lock, chunks written since the last pass are carried over with their stored vectors
        and chunks deleted since are dropped, so that no write of this process is ever missing
        from the index reads switch to."""
        with self._writing():
            previous = self.live_chunks()
            if catch_up:
                now, copied = self.chunk_ids_in(previous), self.chunk_ids_in(target)
                if gone := sorted(copied - now):
                    self.delete_chunks_in(target, gone)
                if late := sorted(now - copied):
                    self.copy_chunks(previous, target, self.vectors_in(previous, late))
            self._write_record(EmbedderRecord(identity, dim), target)
            self._meta.upsert(
                ids=[_REINDEX],
                embeddings=_PLACEHOLDER,
                documents=[identity],
                metadatas=[{"identity": identity, "chunks": target, "retired": previous}],
            )
            self._live = self._chunk_collection(target)
            if self._bound is not None:
                self._bound = identity
            self._bump(fresh_index=True)  # other processes see a new revision, and with it the new record
            return previous

    def retired_chunks(self: _Store) -> str | None:
        """The collection a switch retired and no run has dropped yet, if any."""
        self.revision()
        metas = self._meta.get(ids=[_REINDEX], include=["metadatas"])["metadatas"] or []
        pending = metas[0] if metas else None
        if pending is None or "retired" not in pending or str(pending["chunks"]) != self._live.name:
            return None
        return str(pending["retired"])

    def finish_reindex(self: _Store) -> None:
        """Drop the collection a switch retired, and the record of the reindex."""
        with self._write_lock:
            retired = self.retired_chunks()
            if retired is not None:
                self.drop_chunks(retired)
            self._meta.delete(ids=[_REINDEX])

    def drop_chunks(self: _Store, collection: str) -> None:
        if collection == self._live.name:
            raise ValueError(f"{collection} is the collection reads are served from")
        # Already gone is fine: a run that stopped just after dropping it.
        with contextlib.suppress(chromadb.errors.NotFoundError, ValueError):
            self._client.delete_collection(collection)
        if self._persist_dir is not None:
            remove_orphan_segments(self._persist_dir)
