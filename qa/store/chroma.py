"""Chroma-backed document store: embedded (PersistentClient) or a server (HttpClient).

Three collections hold everything, so several API processes sharing one Chroma server see the
same state: ``<prefix>_chunks`` (chunk text, embedding, filter metadata), ``<prefix>_articles``
(full text and metadata; a 1-d placeholder vector because Chroma wants one) and ``<prefix>_meta``
(a revision token that changes on every write, so readers know when their caches are stale).

``<prefix>_meta`` also holds the ``embedder`` record: which embedder made the vectors, their
dimension, and which collection holds them (``<prefix>_chunks``, or ``<prefix>_chunks_<id>``
after a ``qa reindex``). That one record is the reindex's commit point: readers follow it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import chromadb
import chromadb.errors
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import GetResult
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from qa.config import Settings
from qa.embeddings import LEGACY_DIM, LEGACY_IDENTITY
from qa.errors import EmbedderMismatch, StoreUnavailable
from qa.models import Article, ArticleMeta, Chunk, SearchFilters, day_number
from qa.redact import redact_url
from qa.store import revision_mark
from qa.store.protocol import ChunkRecord, EmbedderRecord
from qa.store.segments import remove_orphan_segments

log = logging.getLogger(__name__)

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


class _Following:
    """The chunks collection, as :class:`ChromaStore` uses it: a call that finds its collection
    dropped (a reindex in another process switched to a new one) re-reads the store's embedder
    record, which refuses if the vectors are now another embedder's, and is retried on the new one."""

    def __init__(self, store: ChromaStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store._live, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except chromadb.errors.NotFoundError:
                self._store.revision()
                return getattr(self._store._live, name)(*args, **kwargs)

        return call


class ChromaStore:
    def __init__(
        self,
        client: ClientAPI,
        prefix: str = "qa",
        name: str = "chroma",
        revision_file: Path | None = None,
        persist_dir: Path | None = None,
    ) -> None:
        self.name = name
        self._mark = revision_file  # see qa.store.revision_mark
        self._persist_dir = persist_dir  # embedded only: where dropped collections leave folders
        self._client = client
        self._prefix = prefix
        self._write_lock = threading.RLock()
        self._bound: str | None = None  # the identity of this process's embedder, once bound
        self._embedder: EmbedderRecord | None = None  # as recorded in the store
        try:
            self._articles: Collection = client.get_or_create_collection(f"{prefix}_articles", embedding_function=None)
            self._meta: Collection = client.get_or_create_collection(f"{prefix}_meta", embedding_function=None)
            # The chunks live where the embedder record says (a reindex moves them), by default <prefix>_chunks.
            self._live: Collection = self._chunk_collection(self._pointer() or f"{prefix}_chunks")
            self._chunks: Collection = cast(Collection, _Following(self))
        except Exception as exc:  # chromadb raises many kinds; the user needs one message
            raise StoreUnavailable(f"cannot open the Chroma store ({name}): {exc}") from exc
        self.before_commit: Callable[[Article], None] | None = None
        self._versions: tuple[str, dict[str, str]] | None = None
        self._metas: tuple[str, dict[str, tuple[ArticleMeta, str] | None]] | None = None

    # -- writes -------------------------------------------------------------------------------

    def upsert_article(self, article: Article, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        self.upsert_articles([(article, chunks, embeddings)])

    def upsert_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Write several articles with one call per step instead of per article (a Chroma write
        costs tens of ms whatever its size). All their chunks go in first, then one upsert of
        their records is the commit point for all of them, so readers still never see a
        half-written article; a crash before it leaves only chunks that ``repair`` removes."""
        # The same article twice (two versions in one batch): the later one wins, as it would
        # written one by one, and one upsert may not name an id twice.
        items = list({a.id: (a, c, e) for a, c, e in items}.values())
        if not items:
            return
        for article, chunks, embeddings in items:
            if len(chunks) != len(embeddings):
                raise ValueError(f"{article.id}: one embedding per chunk is required")
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        for article, chunks, _ in items:
            day, version = day_number(article.published_date), article.version  # a hash: once per article
            for c in chunks:
                m: dict[str, Any] = {
                    "article_id": article.id,
                    "version": version,
                    "position": c.position,
                    "start": c.start,
                    "end": c.end,
                    "title": article.title,
                }
                if article.source is not None:
                    m["source"] = article.source
                if day is not None:
                    m["published_day"] = day
                ids.append(c.id)
                docs.append(c.text)
                metas.append(m)
        vectors = np.concatenate([np.asarray(e, dtype=np.float32) for _, _, e in items])
        with self._writing():
            self._check_write(vectors)
            # 1. the new versions' chunks (invisible until step 2 commits the versions)
            for lo in range(0, len(ids), _PAGE):
                self._chunks.upsert(
                    ids=ids[lo : lo + _PAGE],
                    embeddings=vectors[lo : lo + _PAGE],
                    documents=docs[lo : lo + _PAGE],
                    metadatas=metas[lo : lo + _PAGE],  # type: ignore[arg-type]
                )
            if self.before_commit is not None:
                for article, _, _ in items:
                    self.before_commit(article)
            # 2. commit point: the article records name the versions readers may see
            self._articles.upsert(
                ids=[a.id for a, _, _ in items],
                embeddings=np.repeat(_PLACEHOLDER, len(items), axis=0),
                documents=[a.text for a, _, _ in items],
                metadatas=[_article_metadata(a, c) for a, c, _ in items],
            )
            # 3. the previous versions' chunks are garbage now
            stale = [{"$and": [{"article_id": a.id}, {"version": {"$ne": a.version}}]} for a, _, _ in items]
            where: Any = stale[0] if len(stale) == 1 else {"$or": stale}
            self._chunks.delete(where=where)
            self._bump()

    def delete_article(self, article_id: str) -> bool:
        with self._writing():
            self.revision()  # follows a reindex's switch made by another process
            found = bool(self._articles.get(ids=[article_id], include=[])["ids"])
            if found:
                self._articles.delete(ids=[article_id])  # commit point: its chunks are now invisible
                # A tombstone, so readers keeping their own index learn of the delete.
                self._meta.upsert(
                    ids=[f"deleted:{article_id}"],
                    embeddings=_PLACEHOLDER,
                    documents=[article_id],
                    metadatas=[{"seq": _seq(), "article_id": article_id}],
                )
            self._chunks.delete(where={"article_id": article_id})
            self._bump()
            return found

    def repair(self) -> int:
        """Delete chunks no committed article version owns (left by a crash mid-write)."""
        with self._writing():
            versions = self.article_versions(fresh=True)
            orphans = [
                cid
                for page in _pages(self._chunks.get, include=["metadatas"])
                for cid, m in _rows(page, "metadatas")
                if versions.get(str(m["article_id"])) != m["version"]
            ]
            for batch in _batches(orphans):
                self._chunks.delete(ids=list(batch))
            if orphans:
                self._bump()
            return len(orphans)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The write lock, with the revision mark cleared for the write and rewritten after it."""
        with self._write_lock:
            if self._mark is None:
                yield
                return
            if not revision_mark.clear(self._mark):
                log.warning("cannot remove %s; cached briefings will be checked against the store", self._mark)
                self._mark = None
                yield
                return
            try:
                yield
            finally:
                try:
                    revision_mark.write(self._mark, self.revision())
                except Exception:  # the mark stays cleared: readers ask the store
                    log.debug("revision mark not rewritten", exc_info=True)

    def _bump(self) -> None:
        self._meta.upsert(ids=["revision"], embeddings=_PLACEHOLDER, documents=[uuid.uuid4().hex])
        self._versions = None
        self._metas = None

    # -- reads --------------------------------------------------------------------------------

    def revision(self) -> str:
        # The embedder record comes in the same read, so a reindex's switch is followed at no cost.
        got = self._meta.get(ids=["revision", _EMBEDDER], include=["documents", "metadatas"])
        rev = "empty"
        for key, doc, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
            if key == "revision":
                rev = str(doc)
            elif m is not None:
                self._follow(m)
        return rev

    def article_versions(self, fresh: bool = False) -> dict[str, str]:
        rev = self.revision()
        if not fresh and self._versions is not None and self._versions[0] == rev:
            return self._versions[1]
        versions = {
            aid: str(m["version"])
            for page in _pages(self._articles.get, include=["metadatas"])
            for aid, m in _rows(page, "metadatas")
        }
        self._versions = (rev, versions)
        return versions

    def article_metas(self, article_ids: Sequence[str]) -> dict[str, tuple[ArticleMeta, str]]:
        # Cached per revision, filled by id: after a write only the articles asked for are read.
        rev = self.revision()
        cached = self._metas
        if cached is None or cached[0] != rev:
            cached = self._metas = (rev, {})
        known = cached[1]
        wanted = [a for a in dict.fromkeys(article_ids) if a not in known]
        for batch in _batches(wanted):
            page = _read(partial(self._articles.get, ids=list(batch), include=["metadatas"]))
            got = {aid: m for aid, m in _rows(page, "metadatas") if m is not None}
            for aid in batch:
                m = got.get(aid)
                known[aid] = (_meta_of(aid, dict(m)), str(m["version"])) if m is not None else None
        return {a: v for a in dict.fromkeys(article_ids) if (v := known.get(a)) is not None}

    def changes_since(self, seq: int) -> tuple[list[tuple[str, str | None]], int]:
        """Articles written (with their committed version) or deleted (None) at ``seq`` or later,
        oldest first, and the latest ``seq`` among them: what an index kept beside the store
        needs to catch up, read in proportion to the changes. Articles stored before writes
        carried a ``seq`` are not listed; a new index reads them all once (``article_versions``)."""
        events: list[tuple[int, str, str | None]] = []
        where: Any = {"seq": {"$gte": seq}}
        for collection, deleted in ((self._articles, False), (self._meta, True)):
            for page in _pages(collection.get, where=where, include=["metadatas"]):
                for key, m in _rows(page, "metadatas"):
                    if m is None:
                        continue
                    at = int(str(m["seq"]))
                    events.append((at, str(m["article_id"]), None) if deleted else (at, key, str(m["version"])))
        events.sort(key=lambda e: e[0])
        latest = max((e[0] for e in events), default=seq)
        # A tombstone older than the article's re-creation is history: the article stands.
        final: dict[str, str | None] = {}
        for _, article_id, version in events:
            final[article_id] = version
        return list(final.items()), latest

    def get_article(self, article_id: str) -> Article | None:
        got = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        m = (got["metadatas"] or [{}])[0]
        meta = _meta_of(article_id, dict(m))
        return Article(
            id=article_id,
            title=meta.title,
            text=str((got["documents"] or [""])[0]),
            url=meta.url,
            source=meta.source,
            published=meta.published,
            authors=meta.authors,
        )

    def list_articles(
        self, filters: SearchFilters | None = None, limit: int | None = 100, offset: int = 0
    ) -> list[ArticleMeta]:
        metas = [
            _meta_of(aid, dict(m))
            for page in _pages(self._articles.get, where=_where(filters), include=["metadatas"])
            for aid, m in _rows(page, "metadatas")
        ]
        # Newest first; undated last; then by title for a stable order.
        metas.sort(key=lambda a: a.title)
        metas.sort(key=lambda a: _sort_key(a.published), reverse=True)
        return metas[offset:] if limit is None else metas[offset : offset + limit]

    def count_articles(self, filters: SearchFilters | None = None) -> int:
        where = _where(filters)
        if where is None:
            return int(self._articles.count())
        return sum(len(page["ids"]) for page in _pages(self._articles.get, where=where, include=[]))

    def count_chunks(self) -> int:
        return int(self._chunks.count())

    def dense_search(
        self, embedding: np.ndarray, n: int, filters: SearchFilters | None = None
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

    def neighbours(self, embeddings: np.ndarray, n: int) -> list[list[tuple[str, str, float]]]:
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

    def chunk_embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self.vectors_in(self._live.name, ids)

    def iter_chunks(self, ids: Sequence[str] | None = None) -> Iterator[ChunkRecord]:
        if ids is not None:
            yield from _records_by_id(self._chunks, ids)
            return
        for page in _pages(self._chunks.get, include=["documents", "metadatas"]):
            for cid, doc, m in _rows(page, "documents", "metadatas"):
                yield _record(cid, str(doc), dict(m))

    def article_chunks(self, article_id: str) -> list[ChunkRecord]:
        return self.articles_chunks([article_id]).get(article_id, [])

    def articles_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]:
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

    def chunk_ids(self) -> list[str]:
        return [cid for page in _pages(self._chunks.get, include=[]) for cid in page["ids"]]

    # -- the embedder of the vectors ------------------------------------------------------------

    def _chunk_collection(self, name: str) -> Collection:
        return self._client.get_or_create_collection(name, embedding_function=None, configuration=_CHUNKS_CONFIG)

    def _pointer(self) -> str | None:
        """Read the embedder record; the name of the chunks collection it points at, if any."""
        metas = self._meta.get(ids=[_EMBEDDER], include=["metadatas"])["metadatas"] or []
        m = metas[0] if metas else None
        if m is None:
            return None
        self._embedder = EmbedderRecord(str(m["identity"]), int(str(m["dim"])))
        return str(m["chunks"])

    def _follow(self, m: Mapping[str, Any]) -> None:
        """Serve from the collection the embedder record names, unless its vectors are another embedder's."""
        self._embedder = EmbedderRecord(str(m["identity"]), int(str(m["dim"])))
        if self._bound is not None and self._embedder.identity != self._bound:
            raise EmbedderMismatch(_mismatch(self._embedder, self._bound))
        if str(m["chunks"]) != self._live.name:
            self._live = self._chunk_collection(str(m["chunks"]))

    def _write_record(self, record: EmbedderRecord, collection: str) -> None:
        meta: dict[str, Any] = {"identity": record.identity, "dim": record.dim, "chunks": collection}
        self._meta.upsert(ids=[_EMBEDDER], embeddings=_PLACEHOLDER, documents=[record.identity], metadatas=[meta])
        self._embedder = record

    def _check_write(self, embeddings: np.ndarray) -> None:
        """Before a write: follow a switch made elsewhere, refuse vectors of another dimension, and
        record the embedder at the store's first write."""
        self.revision()
        if not len(embeddings):
            return
        dim = int(np.asarray(embeddings).shape[1])
        if self._embedder is not None:
            if dim != self._embedder.dim:
                raise EmbedderMismatch(
                    f"vectors of {dim} dims cannot join the store's {self._embedder.dim}-dim vectors from "
                    f"{self._embedder.identity}: run `qa reindex` with the embedder you mean to use"
                )
        elif self._bound is not None:
            self._write_record(EmbedderRecord(self._bound, dim), self._live.name)

    def embedder_record(self) -> EmbedderRecord | None:
        self.revision()
        if self._embedder is not None:
            return self._embedder
        if self._chunks.count() > 0:
            return EmbedderRecord(LEGACY_IDENTITY, LEGACY_DIM)  # written before stores recorded it
        return None

    def bind_embedder(self, identity: str) -> None:
        stored = self.embedder_record()
        if stored is not None and stored.identity != identity:
            raise EmbedderMismatch(_mismatch(stored, identity))
        self._bound = identity

    # -- re-embedding (qa reindex: qa/ingest/reindex.py) ----------------------------------------

    def live_chunks(self) -> str:
        """The name of the chunks collection reads are served from."""
        self.revision()
        return self._live.name

    def begin_reindex(self, identity: str, rebuild: bool = False) -> str | None:
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

    def chunk_ids_in(self, collection: str) -> set[str]:
        col = self._chunk_collection(collection)
        return {cid for page in _pages(col.get, include=[]) for cid in page["ids"]}

    def chunks_in(self, collection: str, ids: Sequence[str]) -> list[ChunkRecord]:
        """The named chunks of a collection that are still there, with their text."""
        return list(_records_by_id(self._chunk_collection(collection), ids))

    def vectors_in(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those chunks of a collection that are still there."""
        col, found = self._chunk_collection(collection), dict[str, np.ndarray]()
        for batch in _batches(ids):
            page = _read(partial(col.get, ids=list(batch), include=["embeddings"]))
            vecs = page["embeddings"] if page["embeddings"] is not None else []
            found.update((cid, np.asarray(v, dtype=np.float32)) for cid, v in zip(page["ids"], vecs, strict=True))
        return found

    def copy_chunks(self, source: str, target: str, vectors: Mapping[str, np.ndarray]) -> int:
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

    def delete_chunks_in(self, collection: str, ids: Sequence[str]) -> None:
        col = self._chunk_collection(collection)
        for batch in _batches(ids):
            col.delete(ids=list(batch))

    def switch_chunks(self, target: str, identity: str, dim: int) -> str:
        """The reindex's commit point: one record now names ``target`` as the collection reads are
        served from, and ``identity`` as its embedder. Returns the previous collection's name, which
        stays (as :meth:`retired_chunks`) until :meth:`finish_reindex`, so that writes which raced the
        switch can be copied from it, even by a later run if this one stops first."""
        with self._writing():
            previous = self.live_chunks()
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
            self._bump()  # other processes see a new revision, and with it the new record
            return previous

    def retired_chunks(self) -> str | None:
        """The collection a switch retired and no run has dropped yet, if any."""
        self.revision()
        metas = self._meta.get(ids=[_REINDEX], include=["metadatas"])["metadatas"] or []
        pending = metas[0] if metas else None
        if pending is None or "retired" not in pending or str(pending["chunks"]) != self._live.name:
            return None
        return str(pending["retired"])

    def finish_reindex(self) -> None:
        """Drop the collection a switch retired, and the record of the reindex."""
        with self._write_lock:
            retired = self.retired_chunks()
            if retired is not None:
                self.drop_chunks(retired)
            self._meta.delete(ids=[_REINDEX])

    def drop_chunks(self, collection: str) -> None:
        if collection == self._live.name:
            raise ValueError(f"{collection} is the collection reads are served from")
        # Already gone is fine: a run that stopped just after dropping it.
        with contextlib.suppress(chromadb.errors.NotFoundError, ValueError):
            self._client.delete_collection(collection)
        if self._persist_dir is not None:
            remove_orphan_segments(self._persist_dir)


def _sort_key(p: date | datetime | None) -> str:
    if p is None:
        return ""
    return p.isoformat() if isinstance(p, datetime) else f"{p.isoformat()}T99"


def open_store(settings: Settings) -> ChromaStore:
    """The configured store: a Chroma server when ``QA_CHROMA_URL`` is set, else embedded."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            u = urlparse(settings.chroma_url)
            if not u.hostname:
                raise StoreUnavailable(f"QA_CHROMA_URL is not a URL: {redact_url(settings.chroma_url)!r}")
            client: ClientAPI = chromadb.HttpClient(
                host=u.hostname,
                port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
            shown = redact_url(settings.chroma_url)
            return ChromaStore(client, settings.collection_prefix, name=f"chroma-server {shown}")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        persist_dir = settings.data_dir / "chroma"
        client = chromadb.PersistentClient(path=str(persist_dir), settings=chroma_settings)
        mark = revision_mark.path_for(settings.data_dir)
        return ChromaStore(
            client, settings.collection_prefix, name="chroma-embedded", revision_file=mark, persist_dir=persist_dir
        )
    except StoreUnavailable:
        raise
    except Exception as exc:
        where = settings.chroma_url or str(settings.data_dir)
        raise StoreUnavailable(f"cannot reach the Chroma store at {where}: {exc}") from exc
