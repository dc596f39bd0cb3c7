"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank fusion."""

from __future__ import annotations

import threading
from typing import Literal

from qa.embeddings import Embedder
from qa.lexical import LexicalIndex, rrf
from qa.models import ArticleMeta, Hit, SearchFilters
from qa.store.protocol import ChunkRecord, DocumentStore

Mode = Literal["hybrid", "dense", "lexical"]


class Retriever:
    def __init__(
        self,
        store: DocumentStore,
        embedder: Embedder,
        *,
        candidates: int = 50,
        rrf_k: int = 60,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.lexical = LexicalIndex()
        self._lock = threading.Lock()
        self._metas: tuple[str, dict[str, ArticleMeta]] | None = None

    def article_meta(self, article_id: str) -> ArticleMeta | None:
        rev = self.store.revision()
        cached = self._metas
        if cached is None or cached[0] != rev:
            with self._lock:
                metas = {m.id: m for m in self.store.list_articles(limit=10**9)}
                cached = self._metas = (rev, metas)
        return cached[1].get(article_id)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: Mode = "hybrid",
    ) -> list[Hit]:
        query = query.strip()
        if not query:
            return []
        n = max(self.candidates, k)
        dense: list[tuple[ChunkRecord, float]] = []
        lexical: list[tuple[ChunkRecord, float]] = []
        if mode in ("hybrid", "dense"):
            vec = self.embedder.embed([query])[0]
            dense = self.store.dense_search(vec, n, filters)
        if mode in ("hybrid", "lexical"):
            self.lexical.sync(self.store)
            lexical = self.lexical.search(query, n, filters)

        records: dict[str, ChunkRecord] = {}
        for rec, _ in dense + lexical:
            records.setdefault(rec.chunk.id, rec)
        dense_ids = [r.chunk.id for r, _ in dense]
        lexical_ids = [r.chunk.id for r, _ in lexical]
        fused = rrf([dense_ids, lexical_ids], self.rrf_k)
        dense_rank = {cid: i for i, cid in enumerate(dense_ids, start=1)}
        lexical_rank = {cid: i for i, cid in enumerate(lexical_ids, start=1)}
        # Ties (common with RRF) break by chunk id so results are deterministic.
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))

        hits: list[Hit] = []
        for cid in ranked:
            rec = records[cid]
            meta = self.article_meta(rec.chunk.article_id)
            if meta is None:  # deleted between the two reads
                continue
            hits.append(
                Hit(
                    chunk=rec.chunk,
                    article=meta,
                    score=fused[cid],
                    dense_rank=dense_rank.get(cid),
                    lexical_rank=lexical_rank.get(cid),
                )
            )
            if len(hits) == k:
                break
        return hits
