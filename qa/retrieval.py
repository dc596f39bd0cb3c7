"""Hybrid retrieval: dense (Chroma) + lexical (BM25), fused by reciprocal rank fusion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Literal, Protocol

from qa.embeddings import Embedder
from qa.errors import QAError
from qa.lexical import LexicalIndex
from qa.models import ArticleMeta, Hit, SearchFilters
from qa.normalize import normalize_text
from qa.store.protocol import ChunkRecord, DocumentStore

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]


class LexicalSearch(Protocol):
    """The lexical side: kept in step with the store, searched with filters."""

    def sync(self, store: DocumentStore) -> None: ...

    def search(self, query: str, n: int, filters: SearchFilters | None = None) -> list[tuple[ChunkRecord, float]]: ...


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
        lexical: LexicalSearch | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.recency_weight = recency_weight
        self.lexical: LexicalSearch = lexical if lexical is not None else LexicalIndex()

    def sync(self) -> None:
        """Bring the lexical index up to date with the store (searches do it too, when needed)."""
        self.lexical.sync(self.store)

    def warm(self) -> None:
        """Ready for a first query as fast as any other: the lexical index up to date, and one
        search run, which loads the dense index and the embedder (at 300k chunks the first query
        otherwise spends 1.3 s loading the vector index). A failing embeddings endpoint is logged
        here, not fatal: /readyz reports it."""
        self.sync()
        try:
            self.search("warm up", k=1)
        except QAError as exc:
            log.warning("warm-up search failed: %s", exc)

    def _metas_of(self, article_ids: Sequence[str]) -> dict[str, ArticleMeta]:
        """The named articles' metadata (the store caches it until its revision changes, so a
        write costs the next search a read of its candidates' articles, not of every article)."""
        return {aid: meta for aid, (meta, _) in self.store.article_metas(article_ids).items()}

    def article_meta(self, article_id: str) -> ArticleMeta | None:
        return self._metas_of([article_id]).get(article_id)

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
        dense_rank, lexical_rank = shared_ranks(dense), shared_ranks(lexical)
        fused = rrf_ranks([dense_rank, lexical_rank], self.rrf_k)
        metas = self._metas_of([rec.chunk.article_id for rec in records.values()])
        if as_of is not None and self.recency_weight > 0:
            days = {cid: self._days_from(metas.get(records[cid].chunk.article_id), as_of) for cid in fused}
            by_recency = sorted(fused, key=lambda cid: (days[cid], cid))
            for rank, cid in enumerate(by_recency, start=1):
                fused[cid] += self.recency_weight / (self.rrf_k + rank)
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


# -- fusion ------------------------------------------------------------------------------------


def shared_ranks(scored: Sequence[tuple[ChunkRecord, float]]) -> dict[str, int]:
    """Ranks by score, best first; equal scores (to 6 decimals: two copies of one text) share a
    rank, so the order a retriever lists ties in decides nothing."""
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for i, (rec, score) in enumerate(sorted(scored, key=lambda p: -p[1]), start=1):
        s = round(score, 6)
        if s != previous:
            rank, previous = i, s
        ranks.setdefault(rec.chunk.id, rank)
    return ranks


def rrf_ranks(rankings: Sequence[dict[str, int]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion over ``{id: rank}`` maps: each adds 1/(k + rank) to its ids."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for key, rank in ranking.items():
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused
