"""The application layer: the one place that wires settings to store, embedder, retriever,
ingestor, answers and briefings, and the operations the API and the CLI share.

The API and the CLI are thin layers over this (parse, call, render); nothing here knows about
HTTP or the terminal. Errors are :mod:`qa.errors` kinds, which each interface maps its own way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import ValidationError

from qa.answering import AnswerService, Result
from qa.config import Settings
from qa.embeddings import DEFAULT_EMBEDDER, EMBEDDERS, Embedder, check_ready, embedder_identity, get_embedder
from qa.engines.base import Engine
from qa.engines.fallback import FallbackEngine
from qa.engines.registry import OFFLINE, check_engine, create_engine, offline_engine
from qa.errors import (
    ArticleError,
    Conflict,
    EmbeddingEndpointError,
    EngineError,
    InvalidInput,
    NotFound,
    QAError,
    StoreUnavailable,
)
from qa.ingest.jobs import FINAL_STATES, PAGE_ARTICLES, IngestQueue, Job, WorkerInfo
from qa.ingest.jobs_sqlite import JobQueue
from qa.ingest.limits import Limits
from qa.ingest.pipeline import EmbedProgress, Ingestor, Progress
from qa.ingest.reindex import AfterBatch, ReindexReport, reindex
from qa.ingest.reindex import Progress as ReindexProgress
from qa.lexical import LexicalIndex
from qa.lexical_disk import DiskIndex
from qa.models import (
    Article,
    ArticleMeta,
    ArticleOutcome,
    Chunk,
    Hit,
    IngestReport,
    SearchFilters,
    failure,
    parse_day,
)
from qa.retrieval import LexicalSearch, Retriever
from qa.store.health import SelfRetrieval, self_retrieval
from qa.store.protocol import DocumentStore
from qa.store.registry import STORES, open_reindexable, open_store
from qa.store.writer_lock import claim_writer, release_writer

if TYPE_CHECKING:
    import datetime as dt

    from qa.briefing import Briefing, BriefingService
    from qa.engines.extractive import ExtractiveEngine
    from qa.schemas import ArticleIn

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH_PROBLEMS = 10  # a refused batch names at most this many of its bad articles
HEALTH_MAX_AGE_S = 60.0  # the self-retrieval figure is recomputed at most this often while writes go on


class built_once(Generic[T]):  # lower case: used like functools.cached_property
    """A part of :class:`Services` built on first use, once whatever the threads: two requests
    arriving together must not build two engines, two retrievers or two briefing caches (since
    Python 3.12 ``cached_property`` takes no lock). One re-entrant lock per ``Services``, since
    building one part may build another (the answer service needs the engine)."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> built_once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> T | built_once[T]:
        if obj is None:
            return self
        parts = obj.__dict__
        if self.name not in parts:
            with parts["_build_lock"]:
                if self.name not in parts:
                    parts[self.name] = self.build(obj)
        return parts[self.name]


@dataclass(frozen=True)
class Status:
    """What a health check and ``qa doctor`` show of the service: which store and engine, and
    (when counted) how much the store holds."""

    store: str
    engine: str
    articles: int | None = None
    chunks: int | None = None
    embedder: str | None = None  # the identity of what made the stored vectors (None: empty store)


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
class Services:
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
        fallback = self.fallback_engine
        return self.configured_engine if fallback is None else FallbackEngine(self.configured_engine, fallback)

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
        dir's cache file (every process on the host shares it). The configured engine and its
        fallback come apart: a briefing falls back per story, and on more than errors."""
        from qa.briefing import BriefingService  # its modules load only when a briefing is asked for

        return BriefingService(
            self.store,
            self.reader_embedder,
            self.configured_engine,
            self.fallback_engine,
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

    def ingest(
        self,
        items: Iterable[Article | ArticleError],
        progress: Progress | None = None,
        embedded: EmbedProgress | None = None,
    ) -> IngestReport:
        """Store what can be stored and report the rest (files, feeds: unlike :meth:`add_articles`,
        a bad item does not refuse the others)."""
        return self.ingestor.ingest(items, progress, embedded=embedded)

    def start_jobs(self) -> None:
        """Run ingest jobs in this process, in the background, until :meth:`stop_jobs`."""
        self.ingest_jobs.start()

    def stop_jobs(self) -> None:
        """Stop after the step in progress; an unfinished job is resumed by the next worker."""
        self.ingest_jobs.stop()

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

    def delete_article(self, article_id: str) -> None:
        """Remove the article and its chunks (they leave search at once)."""
        if not self.ingestor.delete(article_id):
            raise NotFound(f"no article with id {article_id!r}")

    def _check_items(
        self, items: Sequence[ArticleIn], chunk: bool = True
    ) -> tuple[list[tuple[int, Article]], list[ArticleOutcome], dict[str, list[Chunk]]]:
        """Each item of a batch as an article, or why it cannot be stored: invalid, over
        ``QA_MAX_ARTICLE_CHARS``, or (with ``chunk``) refused by what ingest takes, which chunks
        every article. The chunks come back too, so that ingest does not make them again."""
        articles: list[tuple[int, Article]] = []
        rejected: list[ArticleOutcome] = []
        chunks: dict[str, list[Chunk]] = {}
        for i, item in enumerate(items):
            try:
                article = Article(**item.model_dump(exclude_none=True))
            except ValidationError as exc:
                e = exc.errors()[0]
                where = ".".join(str(p) for p in e.get("loc", ())) or "article"
                rejected.append(failure(item.id, e["msg"], index=i, field=where))
                continue
            problem = self.limits.text_problem(item.text)
            if problem is None and chunk:
                chunks[article.id], problem = self.ingestor.checked(article)
            if problem:
                rejected.append(failure(article.id, problem, index=i))
            else:
                articles.append((i, article))
        return articles, rejected, chunks

    def _checked_batch(self, items: Sequence[ArticleIn]) -> tuple[list[Article], dict[str, list[Chunk]]]:
        limit = self.settings.max_batch_articles
        if len(items) > limit:
            raise InvalidInput(
                f"batch has {len(items)} articles, over the limit of {limit} (QA_MAX_BATCH_ARTICLES); "
                "POST /ingest (or qa ingest --server) takes larger batches as a background job"
            )
        articles, rejected, chunks = self._check_items(items)
        if rejected:
            raise InvalidInput("nothing was stored: " + "; ".join(map(str, rejected[:MAX_BATCH_PROBLEMS])))
        return [a for _, a in articles], chunks

    def check_batch(self, items: Sequence[ArticleIn]) -> list[Article]:
        """The articles of a batch, if every one of them can be stored (at most
        ``QA_MAX_BATCH_ARTICLES``); else an :class:`InvalidInput` naming each bad item."""
        return self._checked_batch(items)[0]

    @built_once
    def ingest_jobs(self) -> IngestQueue:
        """Background ingest jobs: in Redis where QA_QUEUE_URL is set (every host shares them),
        else in the data dir (every process on this host shares them)."""
        if self.settings.queue_url:
            from qa.ingest.jobs_redis import RedisJobQueue  # Dramatiq is imported only where it is used

            return RedisJobQueue(
                self.settings.queue_url,
                self.ingestor,
                step_articles=self.settings.job_step_articles,
                dead_worker_s=self.settings.queue_dead_worker_s,
                retention_s=self.settings.job_retention_days * 86400,
            )
        path = self.settings.data_dir / "ingest_jobs.sqlite"
        return JobQueue(
            path,
            self.ingestor,
            step_articles=self.settings.job_step_articles,
            retention_s=self.settings.job_retention_days * 86400,
        )

    def claim_writer(self) -> bool:
        """Become the embedded data dir's one writing process (see :mod:`qa.store.writer_lock`);
        a store on a Chroma server is shared by design. True if this call took the lock."""
        return self.settings.embedded() and claim_writer(self.settings.data_dir)

    def release_writer(self) -> None:
        if self.settings.embedded():
            release_writer(self.settings.data_dir)

    def check_ingest_queue(self) -> None:
        """Raise if ingest jobs cannot be queued now (Redis down, the job file unreadable)."""
        self.ingest_jobs.check_ready()

    def ingest_workers(self) -> list[WorkerInfo]:
        """The processes that run ingest jobs, with their heartbeats."""
        return self.ingest_jobs.workers()

    def submit_ingest(self, items: Sequence[ArticleIn], client: str | None = None) -> Job:
        """Queue a batch as a background job; it is on disk when this returns. Unlike
        :meth:`add_articles`, a bad item does not refuse the batch: the job reports it as failed.
        Jobs of different ``client``s take turns (see :meth:`IngestQueue.submit`)."""
        limit = self.settings.max_job_articles
        if len(items) > limit:
            raise InvalidInput(f"batch has {len(items)} articles, over the limit of {limit} (QA_MAX_JOB_ARTICLES)")
        if not items:
            raise InvalidInput("the batch has no articles")
        # Not chunked here: that is the job's work (a refused article is reported by the job), and
        # the request is answered as soon as the batch is on disk.
        articles, rejected, _ = self._check_items(items, chunk=False)
        return self.ingest_job(self.ingest_jobs.submit(articles, rejected, client), articles=False)

    def ingest_job(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job:
        """The job, with the outcomes of its articles ``offset`` to ``offset + limit`` if ``articles``."""
        job = self.ingest_jobs.get(job_id, articles, offset, limit)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id!r} (finished jobs are kept QA_JOB_RETENTION_DAYS)")
        return job

    def cancel_ingest(self, job_id: str) -> Job:
        """Stop a job; what it stored stays stored, the rest is reported failed (cancelled)."""
        before = self.ingest_job(job_id, articles=False)
        if before.state in FINAL_STATES:
            raise Conflict(f"ingest job {job_id} is already {before.state}; there is nothing to cancel")
        job = self.ingest_jobs.cancel(job_id)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id!r}")
        return job

    def add_articles(self, items: Sequence[ArticleIn]) -> IngestReport:
        """Store a batch all or nothing as far as its input goes (:meth:`check_batch`): a client
        retries one request, not half of one. A storage failure of some articles, after the
        rest were stored, is a :class:`StoreUnavailable` that counts both."""
        articles, chunks = self._checked_batch(items)
        report = self.ingestor.ingest(articles, whole=True, chunked=chunks)
        if copies := [f for f in report.failed if f.cause == "copies"]:
            # Copies are told by their vectors, so found only now; in a whole batch they stop it.
            raise InvalidInput("nothing was stored: " + "; ".join(map(str, copies[:MAX_BATCH_PROBLEMS])))
        if report.failed:  # input was checked above, so these are storage failures; the rest were stored
            stored = len(report.added) + len(report.updated) + len(report.unchanged)
            raise StoreUnavailable(
                f"{len(report.failed)} article(s) could not be stored ({stored} were): " + "; ".join(report.errors[:5])
            )
        return report

    def seed_if_empty(self) -> IngestReport | None:
        """Load the bundled sample articles into an empty store (first start)."""
        if self.store.count_articles() > 0 or not self.settings.seed_dir.exists():
            return None
        from qa.ingest.readers import read_paths

        report = self.ingestor.ingest(read_paths([self.settings.seed_dir], limits=self.limits))
        log.info("seeded %d articles from %s", len(report.added), self.settings.seed_dir)
        return report


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
