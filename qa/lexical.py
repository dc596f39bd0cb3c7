"""BM25 over the stored chunks, kept in step with the store by its revision token.

The index lives in process memory and is rebuilt from the store when the store's revision
changes — whoever wrote (this process, a restart, another API process on the same Chroma
server). Chunk texts already seen are kept, so a rebuild only fetches what is new.
"""

from __future__ import annotations

import threading

import bm25s
import numpy as np

from qa.models import SearchFilters, embedding_text
from qa.store.protocol import ChunkRecord, DocumentStore
from qa.tokens import tokenize

__all__ = ["LexicalIndex", "tokenize"]


def day_of(filters: SearchFilters, rec: ChunkRecord) -> bool:
    return filters.admits_day(rec.source, rec.published_day)


class LexicalIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._known: dict[str, tuple[ChunkRecord, list[str]]] = {}
        self._records: list[ChunkRecord] = []
        self._bm25: bm25s.BM25 | None = None

    def sync(self, store: DocumentStore) -> None:
        rev = store.revision()
        if rev == self._revision:
            return
        with self._lock:
            if rev == self._revision:
                return
            versions = store.article_versions()
            ids = store.chunk_ids()
            missing = [i for i in ids if i not in self._known]
            for rec in store.iter_chunks(missing):
                self._known[rec.chunk.id] = (
                    rec,
                    tokenize(embedding_text(rec.title, rec.chunk.text)),
                )
            present = set(ids)
            for gone in [i for i in self._known if i not in present]:
                del self._known[gone]
            visible = [
                (rec, toks) for rec, toks in self._known.values() if versions.get(rec.chunk.article_id) == rec.version
            ]
            self._records = [rec for rec, _ in visible]
            self._bm25 = None
            if visible:
                bm25 = bm25s.BM25()
                # An empty token list would break bm25s; a placeholder keeps positions aligned.
                bm25.index([toks or ["\x00"] for _, toks in visible], show_progress=False)
                self._bm25 = bm25
            self._revision = rev

    def search(self, query: str, n: int, filters: SearchFilters | None = None) -> list[tuple[ChunkRecord, float]]:
        bm25, records = self._bm25, self._records
        if bm25 is None or not records or n <= 0:
            return []
        vocab = bm25.vocab_dict
        q = [t for t in tokenize(query) if t in vocab]
        if not q:
            return []
        mask: np.ndarray | None = None
        if filters is not None and not filters.is_empty():
            mask = np.fromiter((day_of(filters, r) for r in records), dtype=np.float32, count=len(records))
            if not mask.any():
                return []
        k = min(n, len(records))
        docs, scores = bm25.retrieve([q], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(records[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def __len__(self) -> int:
        return len(self._records)
