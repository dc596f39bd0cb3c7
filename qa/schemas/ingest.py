"""The wire shapes of getting articles in: a request's articles (``POST /articles``,
``POST /ingest``), what a batch stored, and background jobs and their workers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from qa.ingest.jobs import Job, WorkerInfo
from qa.models import (
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    IngestReport,
)


def _not_a_number(v: object) -> object:
    # Pydantic would read 0 or "0" as seconds since 1970 (or ms?): a date must be written as one.
    if (isinstance(v, int | float) and not isinstance(v, bool)) or (
        isinstance(v, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", v)
    ):
        raise ValueError("give a date as YYYY-MM-DD (or a full date), not a number")
    return v


class ArticleIn(BaseModel):
    """An article to store. Without an id, one is derived from the url, else from title + text."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "title": "City council approves new bike lanes",
                    "text": "The city council voted 7-2 on Monday to approve 12 miles of new bike lanes.",
                    "url": "https://example.com/news/bike-lanes",
                    "source": "Example Gazette",
                    "published": "2025-07-01",
                    "authors": ["A. Reporter"],
                }
            ]
        },
    }

    id: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
    title: str = Field(min_length=1, max_length=1000)
    text: str = Field(min_length=1)
    url: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200)
    published: Annotated[datetime | date | str | None, BeforeValidator(_not_a_number)] = Field(
        default=None, description="ISO date or datetime (other written date formats are parsed too)."
    )
    authors: list[Annotated[str, Field(max_length=MAX_AUTHOR_CHARS)]] = Field(
        default_factory=list, max_length=MAX_AUTHORS
    )


class ArticleBatch(BaseModel):
    model_config = {"extra": "forbid"}

    articles: list[ArticleIn]


class IngestResult(BaseModel):
    added: list[str] = Field(description="Ids of articles new to the store.")
    updated: list[str] = Field(description="Ids of articles whose content changed.")
    unchanged: list[str] = Field(description="Ids of articles already stored as given.")
    chunks: int = Field(description="Chunks written.")
    errors: list[str] = Field(default_factory=list, description="Items that were not stored, and why.")

    @classmethod
    def of(cls, r: IngestReport) -> IngestResult:
        return cls(
            added=r.added,
            updated=r.updated,
            unchanged=r.unchanged,
            chunks=r.chunks,
            errors=r.errors,
        )


class IngestJobAccepted(BaseModel):
    job_id: str
    state: str = Field(description="queued: it runs in the background; follow it at `url`.")
    total: int = Field(description="Items in the batch.")
    rejected: int = Field(description="Items that are not storable articles; the job reports each as failed.")
    url: str = Field(description="The job's path: GET it on this server for the job's progress (also `Location`).")


class IngestJobArticle(BaseModel):
    index: int = Field(description="Position in the submitted batch.")
    id: str | None = Field(description="The article's id (None for an item that was not an article).")
    status: Literal["pending", "added", "updated", "unchanged", "failed"]
    reason: str | None = Field(default=None, description="Why it failed.")


class IngestJobOut(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    total: int
    done: int = Field(description="Articles finished (stored, unchanged or failed).")
    counts: dict[str, int] = Field(description="Articles per status.")
    chunks: int = Field(description="Chunks written so far.")
    chunks_per_s: float | None = Field(description="Chunks written per second of ingest work.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = Field(default=None, description="Why the job failed, or its last failed step's reason.")
    workers: list[str] = Field(
        default_factory=list, description="The live workers running a step of this job now (see /ingest/workers)."
    )
    articles: list[IngestJobArticle] = Field(
        description="Outcomes of the articles from `offset`, at most `limit` of them (empty with articles=false)."
    )
    next_offset: int | None = Field(
        default=None, description="Where the next page of `articles` starts; none when this page is the last."
    )

    @classmethod
    def of(cls, job: Job, offset: int = 0, limit: int | None = None) -> IngestJobOut:
        def when(t: float | None) -> datetime | None:
            return datetime.fromtimestamp(t, UTC) if t is not None else None

        return cls(
            job_id=job.id,
            state=job.state,
            total=job.total,
            done=job.done,
            counts=job.counts,
            chunks=job.chunks,
            chunks_per_s=job.chunks_per_s,
            created_at=datetime.fromtimestamp(job.created_at, UTC),
            started_at=when(job.started_at),
            finished_at=when(job.finished_at),
            error=job.error,
            workers=job.workers,
            articles=[
                IngestJobArticle(index=a.index, id=a.article_id, status=a.status, reason=a.reason) for a in job.articles
            ],
            next_offset=offset + limit if limit is not None and job.articles and offset + limit < job.total else None,
        )


class IngestWorkerOut(BaseModel):
    name: str = Field(description="host:pid:tag, unique per process.")
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime = Field(description="Its last heartbeat.")
    steps: int = Field(description="Job steps it has run.")
    alive: bool = Field(description="Heard from within QA_QUEUE_DEAD_WORKER_S (Redis) or 60 s (SQLite).")

    @classmethod
    def of(cls, w: WorkerInfo) -> IngestWorkerOut:
        return cls(
            name=w.name,
            host=w.host,
            pid=w.pid,
            started_at=datetime.fromtimestamp(w.started_at, UTC),
            last_seen=datetime.fromtimestamp(w.last_seen, UTC),
            steps=w.steps,
            alive=w.alive,
        )
