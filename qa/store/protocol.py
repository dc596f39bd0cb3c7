"""The document store interface. Every implementation passes ``tests/store/test_contract.py``
(a subclass of its ``DocumentStoreContract``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
class DocumentStore(Protocol):
    """Articles with their chunks and chunk embeddings.

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

    def article_versions(self) -> dict[str, str]: ...

    def changes_since(self, seq: int) -> tuple[list[tuple[str, str | None]], int]:
        """Articles written (their committed version) or deleted (None) at ``seq`` (µs) or later,
        and the latest ``seq`` seen."""
        ...

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

    def revision(self) -> str: ...

    def embedder_record(self) -> EmbedderRecord | None:
        """What made the stored vectors (recorded at the first write; a store from before the record
        existed counts as the default MiniLM's), or None for an empty store that records none."""
        ...

    def bind_embedder(self, identity: str) -> None:
        """Refuse (``EmbedderMismatch``) if the stored vectors came from another embedder; else remember
        ``identity``, so the first write records it and a later switch to another one is refused."""
        ...

    def repair(self) -> int: ...
