"""A Chroma store's chunks (:class:`qa.store.protocol.ChunkStore`): read by id or article, and
searched by vector, from the collection the store's embedder record names."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Protocol

import numpy as np
from chromadb.api.models.Collection import Collection

from qa.models import ArticleMeta, SearchFilters
from qa.store.chroma_records import _batches, _pages, _read, _record, _records_by_id, _rows, _where
from qa.store.protocol import ChunkRecord


class _Store(Protocol):
    """What of :class:`~qa.store.chroma.ChromaStore` the chunk reads use."""

    _articles: Collection
    _chunks: Collection  # the live collection, followed across a reindex in another process
    _live: Collection

    def article_metas(self, article_ids: Sequence[str]) -> dict[str, tuple[ArticleMeta, str]]: ...
    def articles_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]: ...
    def vectors_in(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...


class ChromaChunks:
    """The chunk reads of :class:`~qa.store.chroma.ChromaStore`."""

    def count_chunks(self: _Store) -> int:
        return int(self._chunks.count())

    def dense_search(
        self: _Store, embedding: np.ndarray, n: int, filters: SearchFilters | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        if n <= 0:  # an empty collection answers a query with no rows: no count() first (it grows with the corpus)
            return []
        res = _read(
            lambda: self._chunks.query(
                query_embeddings=np.asarray(embedding, dtype=np.float32).reshape(1, -1),
                n_results=n,
                where=_where(filters),
                include=["documents", "metadatas", "distances"],
            )
        )
        found: list[tuple[ChunkRecord, float]] = []
        ids = res["ids"][0]
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        for cid, doc, m, dist in zip(ids, docs, metas, dists, strict=True):
            if doc is not None and m is not None:  # None: deleted by another process while this query ran
                found.append((_record(cid, str(doc), dict(m)), 1.0 - float(dist)))
        # Only chunks of the committed version count: the candidates' articles are read by id,
        # so a search after a write costs the same as any other.
        committed = self.article_metas([rec.chunk.article_id for rec, _ in found])
        return [
            (rec, score) for rec, score in found if committed.get(rec.chunk.article_id, (None, ""))[1] == rec.version
        ]

    def neighbours(self: _Store, embeddings: np.ndarray, n: int) -> list[list[tuple[str, str, float]]]:
        rows = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
        if n <= 0 or not rows.size:
            return [[] for _ in range(len(embeddings))]
        res = _read(lambda: self._chunks.query(query_embeddings=rows, n_results=n, include=["metadatas", "distances"]))
        found: list[list[tuple[str, str, float]]] = []
        for ids, metas, dists in zip(res["ids"], res["metadatas"] or [], res["distances"] or [], strict=True):
            found.append(
                [(cid, str(m["article_id"]), 1.0 - float(d)) for cid, m, d in zip(ids, metas, dists, strict=True) if m]
            )
        return found

    def chunk_embeddings(self: _Store, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self.vectors_in(self._live.name, ids)

    def iter_chunks(self: _Store, ids: Sequence[str] | None = None) -> Iterator[ChunkRecord]:
        if ids is not None:
            yield from _records_by_id(self._chunks, ids)
            return
        for page in _pages(self._chunks.get, include=["documents", "metadatas"]):
            for cid, doc, m in _rows(page, "documents", "metadatas"):
                yield _record(cid, str(doc), dict(m))

    def article_chunks(self: _Store, article_id: str) -> list[ChunkRecord]:
        return self.articles_chunks([article_id]).get(article_id, [])

    def articles_chunks(self: _Store, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]:
        # Records name their chunks, so a batch is a page of records and a page of chunks by id:
        # the cost follows the articles read, not the corpus (a `where` get grows with it).
        versions: dict[str, str] = {}
        wanted: list[str] = []
        out: dict[str, list[ChunkRecord]] = {}
        for batch in _batches(list(dict.fromkeys(article_ids))):
            got = _read(partial(self._articles.get, ids=list(batch), include=["metadatas"]))
            for aid, record in zip(got["ids"], got["metadatas"] or [], strict=True):
                if record is None:
                    continue
                versions[aid] = str(record["version"])
                out[aid] = []
                if chunk_ids := record.get("chunk_ids"):
                    wanted.extend(json.loads(str(chunk_ids)))
                else:  # a record written before records named their chunks
                    where = {"$and": [{"article_id": aid}, {"version": versions[aid]}]}
                    page = self._chunks.get(where=where, include=["documents", "metadatas"])  # type: ignore[arg-type]
                    out[aid] = [
                        _record(cid, str(doc), dict(m)) for cid, doc, m in _rows(page, "documents", "metadatas")
                    ]
        for rec in _records_by_id(self._chunks, wanted):
            if versions.get(rec.chunk.article_id) == rec.version:
                out[rec.chunk.article_id].append(rec)
        for recs in out.values():
            recs.sort(key=lambda r: r.chunk.position)
        return out

    def chunk_ids(self: _Store) -> list[str]:
        return [cid for page in _pages(self._chunks.get, include=[]) for cid in page["ids"]]

    # -- the embedder of the vectors ------------------------------------------------------------
