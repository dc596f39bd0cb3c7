"""How qa's records sit in Chroma: the metadata of articles and chunks, filters as where-clauses,
and reads that page through a collection and retry one that raced a delete."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

import chromadb.errors
import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.api.types import GetResult
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from qa.models import Article, ArticleMeta, Chunk, SearchFilters, day_number
from qa.store.protocol import ChunkRecord, EmbedderRecord

_PAGE = 5000
_PLACEHOLDER = np.zeros((1, 1), dtype=np.float32)  # articles and meta need no real vectors
_EMBEDDER = "embedder"  # meta record: the embedder of the vectors, their dimension, their collection
_REINDEX = "reindex"  # meta record of a reindex under way: its embedder and target collection
_CHUNKS_CONFIG: Any = {"hnsw": {"space": "cosine", "ef_search": 128}}


def _mismatch(stored: EmbedderRecord, identity: str) -> str:
    return (
        f"the store's vectors come from the embedder {stored.identity} ({stored.dim} dims), but this process "
        f"embeds with {identity}: run `qa reindex` to re-embed the store with it, or configure "
        f"{stored.identity} again (QA_EMBEDDER)"
    )


S = TypeVar("S")


def _batches(items: Sequence[S]) -> Iterator[Sequence[S]]:
    """``items`` in slices of at most a page: what one Chroma call reads or writes."""
    for lo in range(0, len(items), _PAGE):
        yield items[lo : lo + _PAGE]


def _where(filters: SearchFilters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    since, until = filters.day_range()
    clauses: list[dict[str, Any]] = []
    if filters.source:
        clauses.append({"source": {"$in": list(filters.source)}})
    if since is not None:
        clauses.append({"published_day": {"$gte": since}})
    if until is not None:
        clauses.append({"published_day": {"$lte": until}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _published_iso(p: date | datetime | None) -> str | None:
    return p.isoformat() if p is not None else None


def _seq() -> int:
    """When a write happened, in microseconds: what :meth:`ChromaStore.changes_since` orders by."""
    return time.time_ns() // 1000


def _article_metadata(article: Article, chunks: Sequence[Chunk]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": article.title,
        "version": article.version,
        "n_chunks": len(chunks),
        # Its chunks are then read by id: a get filtered on article_id scans the whole collection.
        "chunk_ids": json.dumps([c.id for c in chunks]),
        "seq": _seq(),
        "authors": json.dumps(article.authors, ensure_ascii=False),
    }
    optional = {
        "url": article.url,
        "source": article.source,
        "published": _published_iso(article.published),
        "published_day": day_number(article.published_date),
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def _meta_of(article_id: str, m: dict[str, Any]) -> ArticleMeta:
    return ArticleMeta(
        id=article_id,
        title=m["title"],
        url=m.get("url"),
        source=m.get("source"),
        published=m.get("published"),
        authors=json.loads(m.get("authors") or "[]"),
    )


T = TypeVar("T")


def _lost_race(exc: BaseException) -> bool:
    return isinstance(exc, chromadb.errors.InternalError) and "Error finding id" in str(exc)


def _read(call: Callable[[], T], attempts: int = 4) -> T:
    """A read racing a delete made by another process can fail on a Chroma server with "Error finding
    id" (its vector index still lists an id whose record is gone); a moment later the same read works.
    Only that error is retried, ``attempts`` times in all, waiting 50 ms, 100 ms, ... in between.
    """
    retrying = Retrying(
        retry=retry_if_exception(_lost_race),
        stop=stop_after_attempt(attempts),
        wait=wait_incrementing(start=0.05, increment=0.05),
        reraise=True,
    )
    return retrying(call)


def _pages(get: Callable[..., GetResult], **query: Any) -> Iterator[GetResult]:
    """Every row of a Chroma ``get`` (``where``, ``include``, ...), a page at a time."""
    offset = 0
    while True:
        page = _read(partial(get, limit=_PAGE, offset=offset, **query))
        yield page
        if len(page["ids"]) < _PAGE:
            return
        offset += _PAGE


def _rows(page: GetResult, *fields: str) -> Iterator[tuple[Any, ...]]:
    """``(id, <field>...)`` per row of a page, e.g. ``_rows(page, "metadatas")``."""
    columns: list[Any] = [page[f] or [] for f in fields]  # type: ignore[literal-required]
    return zip(page["ids"], *columns, strict=True)


def _records_by_id(collection: Collection, ids: Sequence[str]) -> Iterator[ChunkRecord]:
    """The named chunks still in ``collection``, a page at a time (a row of None: deleted meanwhile)."""
    for batch in _batches(ids):
        page = _read(partial(collection.get, ids=list(batch), include=["documents", "metadatas"]))
        for cid, doc, m in _rows(page, "documents", "metadatas"):
            if doc is not None and m is not None:
                yield _record(cid, str(doc), dict(m))


def _record(chunk_id: str, text: str, m: dict[str, Any]) -> ChunkRecord:
    return ChunkRecord(
        chunk=Chunk(
            id=chunk_id,
            article_id=m["article_id"],
            position=m["position"],
            start=m["start"],
            end=m["end"],
            text=text,
        ),
        version=m["version"],
        title=m["title"],
        source=m.get("source"),
        published_day=m.get("published_day"),
    )


def _sort_key(p: date | datetime | None) -> str:
    if p is None:
        return ""
    return p.isoformat() if isinstance(p, datetime) else f"{p.isoformat()}T99"
