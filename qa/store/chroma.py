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

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import chromadb.errors
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from qa.config import Settings
from qa.embeddings import LEGACY_DIM, LEGACY_IDENTITY
from qa.errors import EmbedderMismatch, StoreUnavailable
from qa.models import Article, ArticleMeta, Chunk, SearchFilters, day_number
from qa.redact import redact_url
from qa.store import revision_mark
from qa.store.chroma_chunks import ChromaChunks
from qa.store.chroma_records import (
    _CHUNKS_CONFIG,
    _EMBEDDER,
    _PAGE,
    _PLACEHOLDER,
    _article_metadata,
    _batches,
    _meta_of,
    _mismatch,
    _pages,
    _read,
    _rows,
    _seq,
    _sort_key,
    _where,
)
from qa.store.chroma_reindex import ChromaReindex
from qa.store.protocol import EmbedderRecord

log = logging.getLogger(__name__)


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


class ChromaStore(ChromaChunks, ChromaReindex):
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
            self._bump(removed=self._deleting(where=where))

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
            self._bump(removed=self._deleting(where={"article_id": article_id}))
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
                self._bump(removed=len(orphans))
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

    def _stored_replaced(self) -> int:
        metas = self._meta.get(ids=["revision"], include=["metadatas"])["metadatas"] or []
        m = metas[0] if metas else None
        return int(str((m or {}).get("replaced", 0)))

    def _deleting(self, where: Any) -> int:
        """Delete the live chunks ``where`` matches; how many went."""
        before = self._chunks.count()
        self._chunks.delete(where=where)
        return max(before - self._chunks.count(), 0)

    def _bump(self, removed: int = 0, fresh_index: bool = False) -> None:
        """A new revision, carrying the count of chunks deleted from the live collection since it
        was made (``fresh_index``: it was just made). Called under the write lock, so the count
        read and the count written are this process's alone."""
        replaced = 0 if fresh_index else self._stored_replaced() + removed
        self._meta.upsert(
            ids=["revision"],
            embeddings=_PLACEHOLDER,
            documents=[uuid.uuid4().hex],
            metadatas=[{"replaced": replaced}],
        )
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
