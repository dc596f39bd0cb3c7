"""The document store interface, as capabilities: articles (:class:`ArticleStore`), their chunks and
vector search (:class:`ChunkStore`), the change feed other processes follow (:class:`ChangeFeed`),
and moving to another embedder (:class:`Reindexable`, which ``qa reindex`` needs).
:class:`DocumentStore` is the first three, what the service runs on.

Every implementation passes the contract of each capability it has: the mixins in
:mod:`qa.testing.store_contract`, which another package can subclass for its own store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from qa.models import Article, ArticleMeta, Chunk, SearchFilters


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A stored chunk with the article facts needed to filter it without a second lookup."""

    chunk: Chunk
    version: str  # the article version the chunk belongs to
    title: str
    source: str | None
    published_day: int | None  # YYYYMMDD


@dataclass(frozen=True, slots=True)
class EmbedderRecord:
    """What made a store's vectors: an embedder's identity (its ``model_id``) and their dimension."""

    identity: str
    dim: int


@runtime_checkable
class ArticleStore(Protocol):
    """Articles with their chunks and chunk embeddings, written whole.

    Writes are atomic per article as seen by readers: the article record is the commit point,
    and a chunk is visible only while its ``version`` equals its article's committed version.
    """

    name: str
    # Test hook: called during ``upsert_article`` after the new chunks are written and before the
    # article record commits them. Raising there is a writer dying mid-write (the contract suite
    # checks that readers never see such a write and that ``repair`` removes what it left).
    before_commit: Callable[[Article], None] | None

    def upsert_article(self, article: Article, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None: ...

    def upsert_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Several articles at once, each still committed whole (and the last of one id wins)."""
        ...

    def delete_article(self, article_id: str) -> bool: ...

    def get_article(self, article_id: str) -> Article | None: ...

    def article_metas(self, article_ids: Sequence[str]) -> dict[str, tuple[ArticleMeta, str]]:
        """The metadata and committed version of the named articles that exist: a read in
        proportion to the ids, not the store."""
        ...

    def list_articles(
        self, filters: SearchFilters | None = None, limit: int | None = 100, offset: int = 0
    ) -> list[ArticleMeta]:
        """The articles ``filters`` admit, newest first (undated last, then by title), from
        ``offset``, at most ``limit`` of them (None: all)."""
        ...

    def count_articles(self, filters: SearchFilters | None = None) -> int:
        """How many articles ``filters`` admit (all without filters): the total of ``list_articles``."""
        ...

    def repair(self) -> int:
        """Remove the chunks an interrupted write left behind; how many."""
        ...


@runtime_checkable
class ChunkStore(Protocol):
    """The stored chunks: read by id or article, searched by vector, and what made the vectors."""

    def count_chunks(self) -> int: ...

    def dense_search(
        self, embedding: np.ndarray, n: int, filters: SearchFilters | None = None
    ) -> list[tuple[ChunkRecord, float]]: ...

    def neighbours(self, embeddings: np.ndarray, n: int) -> list[list[tuple[str, str, float]]]:
        """For each row of ``embeddings``, its ``n`` nearest stored chunks as (chunk id, article id,
        cosine similarity), nearest first: one call for a batch, no texts read."""
        ...

    def chunk_embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks; an id not stored is absent."""
        ...

    def iter_chunks(self, ids: Sequence[str] | None = None) -> Iterator[ChunkRecord]: ...

    def chunk_ids(self) -> list[str]: ...

    def article_chunks(self, article_id: str) -> list[ChunkRecord]:
        """The committed version's chunks of one article, in reading order."""
        ...

    def articles_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]:
        """``article_chunks`` for many articles in a few calls; an article not stored is absent."""
        ...

    def embedder_record(self) -> EmbedderRecord | None:
        """What made the stored vectors (recorded at the first write; a store from before the record
        existed counts as the default MiniLM's), or None for an empty store that records none."""
        ...

    def bind_embedder(self, identity: str) -> None:
        """Refuse (``EmbedderMismatch``) if the stored vectors came from another embedder; else remember
        ``identity``, so the first write records it and a later switch to another one is refused."""
        ...


@runtime_checkable
class ChangeFeed(Protocol):
    """What changed, for processes that keep something derived (the lexical index, caches)."""

    def revision(self) -> str:
        """Changes with every write, whichever process made it."""
        ...

    def article_versions(self, fresh: bool = False) -> dict[str, str]:
        """Every article's committed version: where a follower starts. A store may answer from a
        cache kept per revision; ``fresh`` reads the store itself (a reindex must not miss one)."""
        ...

    def changes_since(self, seq: int) -> tuple[list[tuple[str, str | None]], int]:
        """Articles written (their committed version) or deleted (None) at ``seq`` (µs) or later,
        and the latest ``seq`` seen."""
        ...


@runtime_checkable
class DocumentStore(ArticleStore, ChunkStore, ChangeFeed, Protocol):
    """What the service runs on: articles, chunks and search, and the change feed."""


@runtime_checkable
class Reindexable(Protocol):
    """A store that can move its chunks to a new embedder's vectors while it serves the old ones:
    a new chunks collection filled beside the live one, then one switch record (``qa reindex``)."""

    def live_chunks(self) -> str:
        """The name of the chunks collection reads use now."""
        ...

    def replaced_chunks(self) -> int:
        """Chunks deleted from the live collection since it was made: room its vector index keeps
        until a rebuild (``begin_reindex(..., rebuild=True)``) makes a fresh one, which counts 0."""
        ...

    def begin_reindex(self, identity: str, rebuild: bool = False) -> str | None:
        """The collection a reindex to ``identity`` fills (the one an interrupted run left, so it
        resumes); None when there is nothing to do: the vectors already come from it (unless
        ``rebuild``: the same vectors into a fresh index), or the store is empty."""
        ...

    def chunk_ids_in(self, collection: str) -> set[str]: ...

    def chunks_in(self, collection: str, ids: Sequence[str]) -> list[ChunkRecord]: ...

    def vectors_in(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def copy_chunks(self, source: str, target: str, vectors: Mapping[str, np.ndarray]) -> int:
        """Write these chunks of ``source`` into ``target`` with the given vectors; how many."""
        ...

    def delete_chunks_in(self, collection: str, ids: Sequence[str]) -> None: ...

    def switch_chunks(self, target: str, identity: str, dim: int, catch_up: bool = False) -> str:
        """Make ``target`` the live collection, recording its embedder; the retired one's name.
        ``catch_up`` (a rebuild, same embedder): first carry over, with their stored vectors, the
        chunks written since the last copy, and drop those deleted since, with writes held off."""
        ...

    def retired_chunks(self) -> str | None:
        """The collection a switch retired and a finish has not dropped yet."""
        ...

    def finish_reindex(self) -> None:
        """Drop the retired collection (after the switch, once nothing reads it)."""
        ...

    def drop_chunks(self, collection: str) -> None: ...


@runtime_checkable
class ReindexableStore(DocumentStore, Reindexable, Protocol):
    """What ``qa reindex`` needs."""
