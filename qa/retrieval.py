"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank fusion."""

from __future__ import annotations

import threading
from datetime import date
from typing import Literal

from qa.embeddings import Embedder
from qa.lexical import LexicalIndex, rrf
from qa.models import ArticleMeta, Hit, SearchFilters
from qa.normalize import normalize_text
from qa.store.protocol import ChunkRecord, DocumentStore

Mode = Literal["hybrid", "dense", "lexical"]
# An undated article ranks, for recency, after every article of the last ~3 years.
_UNDATED = 1000


class Retriever:
    def __init__(
        self,
        store: DocumentStore,
        embedder: Embedder,
        *,
        candidates: int = 50,
        rrf_k: int = 60,
        recency_weight: float = 0.5,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.recency_weight = recency_weight
        self.lexical = LexicalIndex()
        self._lock = threading.Lock()
        self._metas: tuple[str, dict[str, ArticleMeta]] | None = None

    def _current_metas(self) -> dict[str, ArticleMeta]:
        """Every article's metadata, re-read only when the store's revision changed."""
        rev = self.store.revision()
        cached = self._metas
        if cached is None or cached[0] != rev:
            with self._lock:
                metas = {m.id: m for m in self.store.list_articles(limit=10**9)}
                cached = self._metas = (rev, metas)
        return cached[1]

    def article_meta(self, article_id: str) -> ArticleMeta | None:
        return self._current_metas().get(article_id)

    @staticmethod
    def _days_from(meta: ArticleMeta | None, as_of: date) -> int:
        """How far an article's day lies from ``as_of``; later than it counts as further than any earlier day."""
        day = meta.published_date if meta else None
        if day is None:
            return _UNDATED
        gap = (as_of - day).days
        return gap if gap >= 0 else _UNDATED + 1 - gap

    def search(
        self,
        query: str,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: Mode = "hybrid",
        as_of: date | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks. ``as_of``: the day the question is asked from; among the candidates
        the two retrievers found, those published closest before it gain a third RRF vote
        (``recency_weight``) — a soft prior, never a filter, so an older article can still win."""
        query = normalize_text(query).strip()
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
        metas = self._current_metas()  # one revision check per search, not one per candidate
        if as_of is not None and self.recency_weight > 0:
            days = {cid: self._days_from(metas.get(records[cid].chunk.article_id), as_of) for cid in fused}
            by_recency = sorted(fused, key=lambda cid: (days[cid], cid))
            for rank, cid in enumerate(by_recency, start=1):
                fused[cid] += self.recency_weight / (self.rrf_k + rank)
        dense_rank = {cid: i for i, cid in enumerate(dense_ids, start=1)}
        lexical_rank = {cid: i for i, cid in enumerate(lexical_ids, start=1)}
        # Ties (common with RRF) break by chunk id so results are deterministic.
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))

        hits: list[Hit] = []
        for cid in ranked:
            rec = records[cid]
            meta = metas.get(rec.chunk.article_id)
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
