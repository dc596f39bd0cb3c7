"""Background ingest jobs: what every job queue is and owes (:class:`IngestQueue`), the shapes it
reports (:class:`Job`, :class:`JobArticle`, :class:`WorkerInfo`) and the settings they share.

A batch is acknowledged once it is stored where the queue keeps it, then ingested in steps; each
article's outcome is recorded as its step ends. Two queues implement it: one host's, in a SQLite
file of the data dir (:mod:`qa.ingest.jobs_sqlite`), and the shared one on Redis
(:mod:`qa.ingest.jobs_redis`).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, cast

from qa.models import Article, ArticleOutcome, IngestReport

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
FINAL_STATES = ("done", "failed", "cancelled")
CANCELLED = "cancelled before it was stored"  # the reason of a job's articles that a cancel reached first
PAGE_ARTICLES = 1000  # articles per page of a job's outcomes, unless asked otherwise
ArticleStatus = Literal["pending", "added", "updated", "unchanged", "failed"]

STEP_ARTICLES = 16  # articles per step: progress moves often, a crash redoes little
# A worker renews its jobs' leases every HEARTBEAT_S, also while a step runs; one that stops
# (killed, frozen) loses its job to another within this.
LEASE_S = 30.0
RETENTION_S = 7 * 86400.0  # finished jobs are deleted after this (QA_JOB_RETENTION_DAYS)
PRUNE_EVERY_S = 600.0
RETRY_WAIT_S = 5.0  # after a step fails on the store the job waits this, doubling per failure...
RETRY_WAIT_MAX_S = 300.0  # ...up to this
MAX_ATTEMPTS = 20  # failed steps in a row (about 1.5 h of outage) before the job gives up

HEARTBEAT_S = 2.0  # how often an idle worker says it is alive (a busy one says so at each step)
WORKER_SILENT_S = 60.0  # a worker not heard from this long is listed as not alive
WORKER_FORGOTTEN_S = 3600.0  # a worker silent this long is no longer listed


@dataclass
class JobArticle:
    index: int
    article_id: str | None
    status: ArticleStatus
    reason: str | None = None

    def settled(self, status: str, reason: str | None) -> JobArticle:
        """This article with its outcome (a status from ingest's report)."""
        return JobArticle(self.index, self.article_id, cast(ArticleStatus, status), reason)


@dataclass
class Job:
    id: str
    state: JobState
    created_at: float
    started_at: float | None
    finished_at: float | None
    total: int
    chunks: int
    busy_s: float
    error: str | None
    counts: dict[str, int] = field(default_factory=dict)  # articles per status
    articles: list[JobArticle] = field(default_factory=list)  # empty unless asked for
    workers: list[str] = field(default_factory=list)  # the live workers running a step of it now

    @property
    def done(self) -> int:
        return self.total - self.counts.get("pending", 0)

    @property
    def chunks_per_s(self) -> float | None:
        return round(self.chunks / self.busy_s, 1) if self.busy_s > 0 else None


@dataclass
class WorkerInfo:
    """A process that runs ingest jobs (`qa worker`, or `qa serve` with its in-process worker)."""

    name: str
    host: str
    pid: int
    started_at: float
    last_seen: float
    steps: int  # job steps it has run
    alive: bool  # heard from within the queue's dead-worker timeout


def worker_name() -> str:
    """Unique per process and readable by an operator: host, pid and a short random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class IngestQueue(Protocol):
    """Where ingest jobs wait and who runs them: a SQLite file on one host (the default), or a
    shared Redis that any API host and any `qa worker` can reach (``QA_QUEUE_URL``)."""

    def submit(
        self,
        articles: Sequence[tuple[int, Article]],
        rejected: Sequence[ArticleOutcome] = (),
        client: str | None = None,
    ) -> str:
        """Persist a job and return its id; from here on nothing of it is lost. Jobs of different
        ``client``s (an API key's fingerprint, or an address) take turns, step by step."""
        ...

    def get(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job | None:
        """The job; with ``articles``, the outcomes of its articles ``offset`` to ``offset + limit``."""
        ...

    def cancel(self, job_id: str) -> Job | None:
        """Stop a queued or running job: its articles not yet stored are reported failed (:data:`CANCELLED`);
        a step in progress finishes and reports what it stored. None if there is no such job."""
        ...

    def workers(self) -> list[WorkerInfo]:
        """The processes that run jobs, newest first, with their last heartbeat."""
        ...

    def start(self) -> None:
        """Run jobs in this process, in the background, until :meth:`stop`."""
        ...

    def check_ready(self) -> None:
        """Raise :class:`qa.errors.StoreUnavailable` (or a subclass) if jobs cannot be queued now."""
        ...

    def stop(self, timeout_s: float = 30.0) -> None: ...


def batch_index(item: ArticleOutcome) -> int:
    """Where a refused item stood in the submitted batch: a job reports every item by it."""
    if item.index is None:
        raise ValueError(f"a refused item of a job needs its place in the batch: {item}")
    return item.index


def settled(outcome: ArticleOutcome | None) -> tuple[str, str | None]:
    """A final outcome as a job records it: its status and why."""
    if outcome is None:
        return "failed", "not reported by ingest"
    return outcome.status, outcome.detail or None


def first_store_failure(report: IngestReport) -> str:
    """Why a step is retried: the first write that failed."""
    return next((str(f) for f in report.failed if f.retryable), "a store write failed")
