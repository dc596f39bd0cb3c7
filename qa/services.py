"""The one place that wires settings to store, embedder, retriever and ingestor.

The API and the CLI are thin layers over this; nothing here knows about HTTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from qa.answering import AnswerService
from qa.config import Settings
from qa.embeddings import DEFAULT_EMBEDDER, Embedder, embedder_identity, get_embedder
from qa.engines.base import Engine
from qa.engines.fallback import FallbackEngine
from qa.engines.registry import OFFLINE, create_engine
from qa.ingest.pipeline import Ingestor
from qa.ingest.reindex import AfterBatch, Progress, ReindexReport, reindex
from qa.lexical import LexicalIndex
from qa.lexical_disk import DiskIndex
from qa.models import IngestReport
from qa.retrieval import LexicalSearch, Retriever
from qa.store.chroma import open_store
from qa.store.protocol import DocumentStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: DocumentStore
    embedder: Embedder

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Services:
        store = open_store(settings)
        embedder = embedder or get_embedder(settings)
        # Vectors of two embedders cannot be searched together: refuse now, in one line, not per query.
        store.bind_embedder(embedder.model_id)
        return cls(settings=settings, store=store, embedder=embedder)

    @cached_property
    def reader_embedder(self) -> Embedder:
        """What the extractive reader and the briefing embed with: the offline MiniLM whatever the
        store uses, since the reader's weights and the briefing's thresholds were fitted on its
        similarities (and it needs no endpoint)."""
        if self.settings.embedder == DEFAULT_EMBEDDER:
            return self.embedder
        return get_embedder(self.settings, DEFAULT_EMBEDDER)

    @cached_property
    def retriever(self) -> Retriever:
        lexical: LexicalSearch
        if self.settings.lexical_index == "disk":
            lexical = DiskIndex(self.settings.data_dir / "lexical")
        else:
            lexical = LexicalIndex()
        return Retriever(
            self.store,
            self.embedder,
            candidates=self.settings.candidates,
            rrf_k=self.settings.rrf_k,
            recency_weight=self.settings.recency_weight,
            lexical=lexical,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        s = self.settings
        return Ingestor(
            self.store,
            self.embedder,
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            max_article_chars=s.max_article_chars,
            max_chunks_per_article=s.max_chunks_per_article,
        )

    @cached_property
    def extractive(self) -> Engine:
        return create_engine(OFFLINE, self.settings, self.reader_embedder)

    @property
    def min_confidence(self) -> float:
        """The configured floor, else the one the trained reader's risk-coverage curve chose."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        from qa.engines.extractive.ranker import default_model

        return default_model().default_min_confidence

    @cached_property
    def engine(self) -> Engine:
        """The configured engine; any but the offline one falls back to it when it fails."""
        if self.settings.engine == OFFLINE:
            return self.extractive
        return FallbackEngine(create_engine(self.settings.engine, self.settings, self.reader_embedder), self.extractive)

    @cached_property
    def answers(self) -> AnswerService:
        return AnswerService(
            self.store,
            self.retriever,
            self.engine,
            default_k=self.settings.default_k,
            min_support=self.settings.min_support,
            min_confidence=self.min_confidence,
            judge=self.extractive,  # type: ignore[arg-type]
        )

    def seed_if_empty(self) -> IngestReport | None:
        """Load the bundled sample articles into an empty store (first start)."""
        if self.store.count_articles() > 0 or not self.settings.seed_dir.exists():
            return None
        from qa.ingest.readers import read_paths

        report = self.ingestor.ingest(read_paths([self.settings.seed_dir]))
        log.info("seeded %d articles from %s", len(report.added), self.settings.seed_dir)
        return report


def check_store_embedder(settings: Settings) -> None:
    """Raise ``EmbedderMismatch`` (one line naming both and the fix) unless the store's vectors come
    from the configured embedder: ``qa serve`` checks this before it starts serving."""
    open_store(settings).bind_embedder(embedder_identity(settings))


def reindex_store(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
) -> ReindexReport:
    """Re-embed the store with the configured embedder (``qa reindex``). The store is opened without
    binding it to that embedder: until the switch its vectors are the old one's, and reads use them."""
    return reindex(
        open_store(settings),
        embedder or get_embedder(settings),
        batch_size=batch_size,
        progress=progress,
        after_batch=after_batch,
    )
