"""The application layer: the one place that wires settings to store, embedder, retriever,
ingestor, answers and briefings, and the operations the API and the CLI share.

The API and the CLI are thin layers over this (parse, call, render); nothing here knows about
HTTP or the terminal. Errors are :mod:`qa.errors` kinds, which each interface maps its own way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import ValidationError

from qa.answering import AnswerService
from qa.config import Settings
from qa.embeddings import DEFAULT_EMBEDDER, Embedder, embedder_identity, get_embedder
from qa.engines.base import Engine
from qa.engines.fallback import FallbackEngine
from qa.engines.registry import OFFLINE, check_engine, create_engine, offline_engine
from qa.errors import Conflict, InvalidInput, NotFound, QAError, StoreUnavailable
from qa.ingest.jobs import FINAL_STATES, PAGE_ARTICLES, IngestQueue, Job, JobQueue, WorkerInfo
from qa.ingest.limits import Limits
from qa.ingest.pipeline import Ingestor
from qa.ingest.reindex import AfterBatch, Progress, ReindexReport, reindex
from qa.lexical import LexicalIndex
from qa.lexical_disk import DiskIndex
from qa.models import Article, ArticleMeta, ArticleOutcome, Chunk, IngestReport, SearchFilters, failure, parse_day
from qa.retrieval import LexicalSearch, Retriever
from qa.store.chroma import open_store
from qa.store.health import SelfRetrieval, self_retrieval
from qa.store.protocol import DocumentStore
from qa.store.writer_lock import claim_writer, release_writer

if TYPE_CHECKING:
    from qa.briefing import BriefingService
    from qa.engines.extractive import ExtractiveEngine
    from qa.schemas import ArticleIn

log = logging.getLogger(__name__)

MAX_BATCH_PROBLEMS = 10  # a refused batch names at most this many of its bad articles
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
class Services:
    settings: Settings
    store: DocumentStore
    embedder: Embedder
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _briefings: BriefingService | None = field(default=None, init=False, repr=False, compare=False)
    _health_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _health: tuple[str, float, SelfRetrieval] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Services:
        check_engine(settings.engine)  # a misspelt QA_ENGINE fails here, not at the first question
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
            limits=self.limits,
            embed_batch_chunks=s.ingest_batch_chunks,
        )

    @cached_property
    def limits(self) -> Limits:
        """What ingest accepts of an article; the readers, the batch check and the ingestor share it."""
        return Limits.of(self.settings)

    @cached_property
    def extractive(self) -> ExtractiveEngine:
        return offline_engine(self.settings, self.reader_embedder)

    @property
    def min_confidence(self) -> float:
        """The configured floor, else the one the trained reader's risk-coverage curve chose."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        return self.extractive.model.default_min_confidence

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
            judge=self.extractive,
        )

    @property
    def briefings(self) -> BriefingService:
        """The one briefing service (it holds the briefing cache), made on first use by whichever
        thread asks first."""
        with self._lock:
            if self._briefings is None:
                from qa.briefing import BriefingService

                self._briefings = BriefingService.from_services(self)
            return self._briefings

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

    @cached_property
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


def check_before_serving(settings: Settings) -> None:
    """What ``qa serve`` checks before it starts, so a mistake is one line, not a traceback from the
    app: ``QA_ENGINE`` names a known engine (``UnknownEngine``), and the store's vectors come from
    the configured embedder (``EmbedderMismatch``, naming both and the fix)."""
    check_engine(settings.engine)
    open_store(settings).bind_embedder(embedder_identity(settings))


def reindex_store(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
    rebuild: bool = False,
) -> ReindexReport:
    """Re-embed the store with the configured embedder (``qa reindex``; with ``rebuild``, copy
    vectors it already made into a fresh index). The store is opened without binding it to that
    embedder: until the switch its vectors are the old one's, and reads use them."""
    if settings.embedded():
        claim_writer(settings.data_dir)
    return reindex(
        open_store(settings),
        embedder or get_embedder(settings),
        batch_size=batch_size,
        progress=progress,
        after_batch=after_batch,
        rebuild=rebuild,
    )
