"""What the API and the CLI do to get articles in and out: a batch stored whole or refused
(``POST /articles``), a background job (``POST /ingest``, ``qa ingest --server``), files and feeds
(``qa ingest``), deletes, and the processes that run jobs. Part of :class:`~qa.services.Services`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import ArticleError, Conflict, InvalidInput, NotFound, StoreUnavailable
from qa.ingest.compaction import Compactor
from qa.ingest.jobs import FINAL_STATES, PAGE_ARTICLES, IngestQueue, Job, WorkerInfo
from qa.ingest.jobs_sqlite import JobQueue
from qa.ingest.limits import Limits
from qa.ingest.pipeline import EmbedProgress, Ingestor, Progress
from qa.models import Article, ArticleOutcome, Chunk, IngestReport, failure
from qa.services.parts import built_once
from qa.store.protocol import DocumentStore, ReindexableStore
from qa.store.writer_lock import claim_writer, release_writer

if TYPE_CHECKING:
    from qa.schemas import ArticleIn

log = logging.getLogger(__name__)

MAX_BATCH_PROBLEMS = 10  # a refused batch names at most this many of its bad articles


class _Wired(Protocol):
    """The parts of :class:`~qa.services.Services` these operations use."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> DocumentStore: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def ingestor(self) -> Ingestor: ...
    @property
    def compactor(self) -> Compactor | None: ...
    @property
    def limits(self) -> Limits: ...
    @property
    def ingest_jobs(self) -> IngestQueue: ...

    def _check_items(
        self, items: Sequence[ArticleIn], chunk: bool = True
    ) -> tuple[list[tuple[int, Article]], list[ArticleOutcome], dict[str, list[Chunk]]]: ...
    def _checked_batch(self, items: Sequence[ArticleIn]) -> tuple[list[Article], dict[str, list[Chunk]]]: ...
    def check_ingest_queue(self) -> None: ...
    def ingest_job(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job: ...


class IngestOperations:
    """Services' operations on articles and jobs; each method's ``self`` is the whole Services."""

    def ingest(
        self: _Wired,
        items: Iterable[Article | ArticleError],
        progress: Progress | None = None,
        embedded: EmbedProgress | None = None,
    ) -> IngestReport:
        """Store what can be stored and report the rest (files, feeds: unlike :meth:`add_articles`,
        a bad item does not refuse the others)."""
        return self.ingestor.ingest(items, progress, embedded=embedded)

    def start_jobs(self: _Wired) -> None:
        """Run ingest jobs in this process, in the background, until :meth:`stop_jobs`."""
        self.ingest_jobs.start()

    def stop_jobs(self: _Wired) -> None:
        """Stop after the step in progress; an unfinished job is resumed by the next worker."""
        self.ingest_jobs.stop()

    def start_compaction(self: _Wired) -> None:
        """Rebuild the vector index in the background whenever replaced chunks call for it (see
        :mod:`qa.ingest.compaction`), until :meth:`stop_compaction`. Only for the one writing
        process of an embedded store: writers sharing a Chroma server run ``qa reindex --rebuild``."""
        if self.compactor is not None:
            self.compactor.start()

    def stop_compaction(self: _Wired) -> None:
        """Stop after the rebuild's current batch; the next start resumes it."""
        if self.compactor is not None:
            self.compactor.stop()

    @built_once
    def compactor(self: _Wired) -> Compactor | None:
        settings = self.settings
        if not settings.embedded() or settings.compact_min_replaced <= 0:
            return None
        if not isinstance(self.store, ReindexableStore):
            return None
        return Compactor(self.store, self.embedder, settings.compact_min_replaced, settings.compact_check_s)

    def delete_article(self: _Wired, article_id: str) -> None:
        """Remove the article and its chunks (they leave search at once)."""
        if not self.ingestor.delete(article_id):
            raise NotFound(f"no article with id {article_id!r}")

    def _check_items(
        self: _Wired, items: Sequence[ArticleIn], chunk: bool = True
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
                chunks[article.version], problem = self.ingestor.checked(article)
            if problem:
                rejected.append(failure(article.id, problem, index=i))
            else:
                articles.append((i, article))
        return articles, rejected, chunks

    def _checked_batch(self: _Wired, items: Sequence[ArticleIn]) -> tuple[list[Article], dict[str, list[Chunk]]]:
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

    def check_batch(self: _Wired, items: Sequence[ArticleIn]) -> list[Article]:
        """The articles of a batch, if every one of them can be stored (at most
        ``QA_MAX_BATCH_ARTICLES``); else an :class:`InvalidInput` naming each bad item."""
        return self._checked_batch(items)[0]

    @built_once
    def ingest_jobs(self: _Wired) -> IngestQueue:
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

    def claim_writer(self: _Wired) -> bool:
        """Become the embedded data dir's one writing process (see :mod:`qa.store.writer_lock`);
        a store on a Chroma server is shared by design. True if this call took the lock."""
        return self.settings.embedded() and claim_writer(self.settings.data_dir)

    def release_writer(self: _Wired) -> None:
        if self.settings.embedded():
            release_writer(self.settings.data_dir)

    def check_ingest_queue(self: _Wired) -> None:
        """Raise if ingest jobs cannot be queued now (Redis down, the job file unreadable)."""
        self.ingest_jobs.check_ready()

    def ingest_workers(self: _Wired) -> list[WorkerInfo]:
        """The processes that run ingest jobs, with their heartbeats."""
        return self.ingest_jobs.workers()

    def submit_ingest(self: _Wired, items: Sequence[ArticleIn], client: str | None = None) -> Job:
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

    def ingest_job(
        self: _Wired, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES
    ) -> Job:
        """The job, with the outcomes of its articles ``offset`` to ``offset + limit`` if ``articles``."""
        job = self.ingest_jobs.get(job_id, articles, offset, limit)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id!r} (finished jobs are kept QA_JOB_RETENTION_DAYS)")
        return job

    def cancel_ingest(self: _Wired, job_id: str) -> Job:
        """Stop a job; what it stored stays stored, the rest is reported failed (cancelled)."""
        before = self.ingest_job(job_id, articles=False)
        if before.state in FINAL_STATES:
            raise Conflict(f"ingest job {job_id} is already {before.state}; there is nothing to cancel")
        job = self.ingest_jobs.cancel(job_id)
        if job is None:
            raise NotFound(f"no ingest job with id {job_id!r}")
        return job

    def add_articles(self: _Wired, items: Sequence[ArticleIn]) -> IngestReport:
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

    def seed_if_empty(self: _Wired) -> IngestReport | None:
        """Load the bundled sample articles into an empty store (first start)."""
        if self.store.count_articles() > 0 or not self.settings.seed_dir.exists():
            return None
        from qa.ingest.readers import read_paths

        report = self.ingestor.ingest(read_paths([self.settings.seed_dir], limits=self.limits))
        log.info("seeded %d articles from %s", len(report.added), self.settings.seed_dir)
        return report
