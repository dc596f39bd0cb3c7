"""The application layer: the one place that wires settings to store, embedder, retriever,
ingestor, answers and briefings, and the operations the API and the CLI share.

The API and the CLI are thin layers over this (parse, call, render); nothing here knows about
HTTP or the terminal. Errors are :mod:`qa.errors` kinds, which each interface maps its own way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from pydantic import ValidationError

from qa.answering import AnswerService, Result
from qa.config import Settings
from qa.embeddings import DEFAULT_EMBEDDER, EMBEDDERS, Embedder, check_ready, embedder_identity, get_embedder
from qa.engines.base import Engine
from qa.engines.fallback import with_fallback
from qa.engines.registry import OFFLINE, check_engine, create_engine, offline_engine
from qa.errors import (
    EmbeddingEndpointError,
    EngineError,
    InvalidInput,
    NotFound,
    QAError,
    StoreUnavailable,
)
from qa.ingest.limits import Limits
from qa.ingest.pipeline import Ingestor
from qa.ingest.reindex import AfterBatch, ReindexReport, reindex
from qa.ingest.reindex import Progress as ReindexProgress
from qa.lexical import LexicalIndex
from qa.lexical_disk import DiskIndex
from qa.models import (
    Article,
    ArticleMeta,
    Hit,
    SearchFilters,
    parse_day,
)
from qa.retrieval import LexicalSearch, Retriever
from qa.services.ingest import IngestOperations
from qa.services.parts import Status, built_once
from qa.store.health import SelfRetrieval, self_retrieval
from qa.store.protocol import DocumentStore, ReindexableStore
from qa.store.registry import STORES, open_reindexable, open_store
from qa.store.writer_lock import claim_writer

if TYPE_CHECKING:
    import datetime as dt

    from qa.briefing import Briefing, BriefingService
    from qa.engines.extractive import ExtractiveEngine

log = logging.getLogger(__name__)

HEALTH_MAX_AGE_S = 60.0  # the self-retrieval figure is recomputed at most this often while writes go on


def search_filters(
    source: str | Sequence[str] | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
) -> SearchFilters:
    """The filters of a search, a question or a listing. A day given as text is read by
    :func:`qa.models.parse_day`; what is wrong (a bad day, ``since`` after ``until``, too many
    outlets) is an :class:`InvalidInput` saying so."""
    days = [parse_day(d, name) if isinstance(d, str) else d for d, name in ((since, "since"), (until, "until"))]
    try:
        return SearchFilters(source=source or None, since=days[0], until=days[1])
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from None


@dataclass
class Services(IngestOperations):
    settings: Settings
    store: DocumentStore
    embedder: Embedder
    _build_lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)
    _health_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _health: tuple[str, float, SelfRetrieval] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Services:
        check_plugins(settings)  # a misspelt QA_ENGINE fails here, not at the first question
        store = open_store(settings)
        embedder = embedder or get_embedder(settings)
        # Vectors of two embedders cannot be searched together: refuse now, in one line, not per query.
        store.bind_embedder(embedder.model_id)
        return cls(settings=settings, store=store, embedder=embedder)

    @built_once
    def reader_embedder(self) -> Embedder:
        """What the extractive reader and the briefing embed with: the offline MiniLM whatever the
        store uses, since the reader's weights and the briefing's thresholds were fitted on its
        similarities (and it needs no endpoint)."""
        if self.settings.embedder == DEFAULT_EMBEDDER:
            return self.embedder
        return get_embedder(self.settings, DEFAULT_EMBEDDER)

    @built_once
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

    @built_once
    def ingestor(self) -> Ingestor:
        s = self.settings
        return Ingestor(
            self.store,
            self.embedder,
            chunk_size=s.chunk_size,
            chunk_overlap=s.chunk_overlap,
            limits=self.limits,
            embed_batch_chunks=s.ingest_batch_chunks,
        )

    @built_once
    def limits(self) -> Limits:
        """What ingest accepts of an article; the readers, the batch check and the ingestor share it."""
        return Limits.of(self.settings)

    @built_once
    def extractive(self) -> ExtractiveEngine:
        return offline_engine(self.settings, self.reader_embedder)

    @property
    def min_confidence(self) -> float:
        """The configured floor, else the one the trained reader's risk-coverage curve chose."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        return self.extractive.model.default_min_confidence

    @built_once
    def configured_engine(self) -> Engine:
        """The engine QA_ENGINE names, as it is (no fallback)."""
        if self.settings.engine == OFFLINE:
            return self.extractive
        return create_engine(self.settings.engine, self.settings, self.reader_embedder)

    @property
    def fallback_engine(self) -> Engine | None:
        """What answers when the configured engine fails: the offline one, unless it is the one."""
        return None if self.configured_engine is self.extractive else self.extractive

    @built_once
    def engine(self) -> Engine:
        """The configured engine; any but the offline one falls back to it when it fails."""
        return with_fallback(self.configured_engine, self.fallback_engine)

    @built_once
    def answers(self) -> AnswerService:
        return AnswerService(
            self.store,
            self.retriever,
            self.engine,
            default_k=self.settings.default_k,
            min_support=self.settings.min_support,
            min_confidence=self.min_confidence,
            judge=self.extractive,
        )

    @built_once
    def briefings(self) -> BriefingService:
        """The one briefing service (it holds the briefing cache)."""
        return self.new_briefing_service()

    def new_briefing_service(self) -> BriefingService:
        """A briefing service wired like :attr:`answers`, with a cache of its own over the data
        dir's cache file (every process on the host shares it). Its engine is :attr:`engine`, the
        fallback included: a briefing falls back per story, through the same
        :class:`~qa.engines.fallback.FallbackEngine`."""
        from qa.briefing import BriefingService  # its modules load only when a briefing is asked for

        return BriefingService(
            self.store,
            self.reader_embedder,
            self.engine,
            min_support=self.settings.min_support,
            cache_path=self.settings.data_dir / "briefings.sqlite",
        )

    # -- what the API and the CLI do: routes and commands call these, never the parts above -------

    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        return self.retriever.search(query, k=k, filters=filters)

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: date | None = None,
    ) -> Result:
        return self.answers.ask(question, k, filters, min_confidence=min_confidence, as_of=as_of)

    def stream_ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: date | None = None,
    ) -> Iterator[str | Result]:
        """The answer's sentences as each passes verification, then the whole answer."""
        return self.answers.stream_ask(question, k, filters, min_confidence=min_confidence, as_of=as_of)

    def summarize_article(self, article_id: str) -> Result:
        return self.answers.summarize_article(article_id)

    def summarize(self, query: str, filters: SearchFilters | None = None) -> Result:
        """A summary of what ``query`` retrieves."""
        return self.answers.summarize_query(query, filters=filters)

    def briefing(
        self, day: dt.date | None = None, sources: Sequence[str] | None = None, max_sections: int | None = None
    ) -> Briefing:
        """The briefing of ``day`` (default: the latest day with articles)."""
        if max_sections is None:
            return self.briefings.build(day, sources)
        return self.briefings.build(day, sources, max_sections)

    def status(self, counted: bool = True) -> Status:
        """The store's and the engine's names and, if ``counted``, the store's size and embedder."""
        if not counted:
            return Status(store=self.store.name, engine=self.engine.name)
        record = self.store.embedder_record()
        return Status(
            store=self.store.name,
            engine=self.engine.name,
            articles=self.store.count_articles(),
            chunks=self.store.count_chunks(),
            embedder=record.identity if record else None,
            replaced_chunks=self.store.replaced_chunks() if isinstance(self.store, ReindexableStore) else None,
        )

    def check_ready(self) -> Status:
        """The names, if the store, the ingest queue and any endpoint answer now; else a
        :class:`StoreUnavailable` (or a subclass) saying which does not. A readiness probe waits on
        these, so an endpoint that is down is one too, not an engine error."""
        try:
            self.store.revision()
        except Exception as exc:  # any failure to reach the store means not ready
            raise StoreUnavailable(f"the store does not answer: {exc}") from exc
        self.check_ingest_queue()
        try:
            check_ready(self.embedder)
            self.engine.check_ready()
        except (EmbeddingEndpointError, EngineError) as exc:
            raise StoreUnavailable(f"not ready: {exc}") from exc
        return self.status(counted=False)

    def repair(self) -> int:
        """Remove chunks an interrupted ingest left behind (at start, before serving); how many."""
        return self.store.repair()

    def warm(self) -> None:
        """Bring the lexical index up to date and load it, before the first request."""
        self.retriever.warm()

    # -- articles ----------------------------------------------------------------------------------

    def list_articles(
        self, filters: SearchFilters | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[ArticleMeta], int]:
        """One page of the articles ``filters`` admit, newest first, and how many they admit."""
        return self.store.list_articles(filters, limit=limit, offset=offset), self.store.count_articles(filters)

    def self_retrieval(self) -> SelfRetrieval:
        """The share of sampled chunks the vector index still finds by their own vectors. Kept until
        the store's next write, and at least a minute while writes go on: listing the chunk ids
        grows with the corpus, and a probe must not pay that after every article."""
        revision = self.store.revision()
        with self._health_lock:
            cached = self._health
        now = time.monotonic()
        if cached is not None and (cached[0] == revision or now - cached[1] < HEALTH_MAX_AGE_S):
            return cached[2]
        try:
            figure = self_retrieval(self.store)
        except QAError:
            raise
        except Exception as exc:  # e.g. a Chroma server's transient "Nothing found on disk"
            raise StoreUnavailable(f"the store could not measure its self-retrieval now: {exc}") from exc
        with self._health_lock:
            self._health = (revision, now, figure)
        return figure

    def get_article(self, article_id: str) -> Article:
        article = self.store.get_article(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        return article


def check_plugins(settings: Settings) -> None:
    """Raise ``UnknownPlugin`` (``UnknownEngine``) naming the known ones if ``QA_ENGINE``,
    ``QA_EMBEDDER`` or ``QA_STORE`` names none: settings sit below the registries, so they are
    checked here, before anything is opened."""
    check_engine(settings.engine)
    EMBEDDERS.check(settings.embedder)
    STORES.check(settings.store)


def check_before_serving(settings: Settings) -> None:
    """What ``qa serve`` checks before it starts, so a mistake is one line, not a traceback from the
    app: the settings name known parts (:func:`check_plugins`), and the store's vectors come from
    the configured embedder (``EmbedderMismatch``, naming both and the fix)."""
    check_plugins(settings)
    open_store(settings).bind_embedder(embedder_identity(settings))


def reindex_store(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    batch_size: int = 64,
    progress: ReindexProgress | None = None,
    after_batch: AfterBatch | None = None,
    rebuild: bool = False,
) -> ReindexReport:
    """Re-embed the store with the configured embedder (``qa reindex``; with ``rebuild``, copy
    vectors it already made into a fresh index). The store is opened without binding it to that
    embedder: until the switch its vectors are the old one's, and reads use them."""
    if settings.embedded():
        claim_writer(settings.data_dir)
    return reindex(
        open_reindexable(settings),
        embedder or get_embedder(settings),
        batch_size=batch_size,
        progress=progress,
        after_batch=after_batch,
        rebuild=rebuild,
    )
