"""Wire shapes: what the HTTP API returns and what the CLI prints with ``--json``.

Kept apart from the internal models so the stored form can change without breaking clients.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, model_validator

from qa.answering import Result
from qa.errors import InvalidInput
from qa.ingest.jobs import Job, WorkerInfo
from qa.models import (
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_FILTER_SOURCES,
    Article,
    ArticleMeta,
    Hit,
    IngestReport,
    SearchFilters,
    parse_day,
)


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


class ArticleOut(BaseModel):
    id: str
    title: str
    url: str | None = None
    source: str | None = None
    published: datetime | date | None = None
    authors: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, a: ArticleMeta | Article) -> ArticleOut:
        return cls(
            id=a.id,
            title=a.title,
            url=a.url,
            source=a.source,
            published=a.published,
            authors=a.authors,
        )


class ArticleDetail(ArticleOut):
    text: str

    @classmethod
    def of_article(cls, a: Article) -> ArticleDetail:
        return cls(**ArticleOut.of(a).model_dump(), text=a.text)


class ArticleList(BaseModel):
    articles: list[ArticleOut]
    total: int
    limit: int
    offset: int


class SearchHitOut(BaseModel):
    chunk_id: str
    article_id: str
    title: str
    source: str | None
    url: str | None
    published: datetime | date | None
    score: float
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, h: Hit) -> SearchHitOut:
        return cls(
            chunk_id=h.chunk.id,
            article_id=h.article.id,
            title=h.article.title,
            source=h.article.source,
            url=h.article.url,
            published=h.article.published,
            score=round(h.score, 6),
            start=h.chunk.start,
            end=h.chunk.end,
            text=h.chunk.text,
        )


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHitOut]


def _not_a_number(v: object) -> object:
    # Pydantic would read 0 or "0" as seconds since 1970 (or ms?): a date must be written as one.
    if (isinstance(v, int | float) and not isinstance(v, bool)) or (
        isinstance(v, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", v)
    ):
        raise ValueError("give a date as YYYY-MM-DD (or a full date), not a number")
    return v


def _day(v: object) -> object:
    """Text is read by :func:`qa.models.parse_day`, the one day rule of the API and the CLI."""
    if isinstance(v, str):
        try:
            return parse_day(v)
        except InvalidInput as exc:
            raise ValueError(exc.reason) from None
    if isinstance(v, int | float) and not isinstance(v, bool):
        raise ValueError("give a day as YYYY-MM-DD, e.g. 2025-03-10, not a number")
    return v


# A calendar day in requests (body or query): YYYY-MM-DD, never a number or a timestamp.
Day = Annotated[date, BeforeValidator(_day)]


class Filters(BaseModel):
    model_config = {"extra": "forbid"}

    source: str | Annotated[list[str], Field(max_length=MAX_FILTER_SOURCES)] | None = Field(
        default=None, description=f"Outlet name, or several (at most {MAX_FILTER_SOURCES})."
    )
    since: Day | None = Field(default=None, description="Published on or after (YYYY-MM-DD).")
    until: Day | None = Field(default=None, description="Published on or before (YYYY-MM-DD).")

    @model_validator(mode="after")
    def _range(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    def to_search(self) -> SearchFilters:
        return SearchFilters(source=self.source, since=self.since, until=self.until)


# A question or query of only spaces is as empty as "": refused, not answered with an abstention.
_NOT_BLANK = r"\S"


class AskRequest(BaseModel):
    # Unknown fields are refused: a misspelt "top_k" silently ignored would look like it worked.
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"question": "How many drones did Russia launch at Ukraine in June?", "k": 5}]
        },
    }

    question: str = Field(min_length=1, max_length=2000, pattern=_NOT_BLANK, description="A question about the news.")
    # Strict: the schema says integer and boolean, so 5.0 or 1 are refused rather than coerced.
    k: StrictInt | None = Field(default=None, ge=1, le=20, description="Passages to retrieve (default 5).")
    filters: Filters | None = None
    stream: StrictBool = Field(default=False, description="Answer as Server-Sent Events.")
    min_confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Abstain when the answer's calibrated confidence is below this "
        "(default: the server's QA_MIN_CONFIDENCE, else the trained reader's choice; see the README).",
    )
    as_of: Day | None = Field(
        default=None,
        description="The day the question is asked from (YYYY-MM-DD): articles published shortly "
        "before it are preferred. A soft preference, not a filter.",
    )


class SummarizeRequest(BaseModel):
    @model_validator(mode="after")
    def _one_target(self) -> SummarizeRequest:
        # By the keys sent, as the schema's oneOf reads them: {"article_id": "x", "query": null}
        # names both, and is refused like {"article_id": "x", "query": "y"}.
        given = {"article_id", "query"} & self.model_fields_set
        if len(given) != 1 or getattr(self, given.pop()) is None:
            raise ValueError("give exactly one of article_id or query")
        return self

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"query": "North Korean troops in Russia"}, {"article_id": "..."}],
            # Exactly one of the two, as the validator above insists.
            "oneOf": [
                {"required": ["article_id"], "not": {"required": ["query"]}},
                {"required": ["query"], "not": {"required": ["article_id"]}},
            ],
        },
    }

    article_id: str | None = Field(default=None, max_length=200, description="Summarize this article.")
    query: str | None = Field(
        default=None, min_length=1, max_length=2000, pattern=_NOT_BLANK, description="Or what this retrieves."
    )
    filters: Filters | None = None


class _PassageRef(BaseModel):
    """Where a passage is: its article and chunk, with what a reader needs to find it."""

    article_id: str
    chunk_id: str
    title: str
    source: str | None = None
    url: str | None = None
    published: datetime | date | None = None


class CitationOut(_PassageRef):
    n: int
    quote: str


class RelatedOut(_PassageRef):
    """A passage close to an unanswered question: something to read, not a claim."""

    passage: str = Field(description="The start of the passage.")

    @classmethod
    def of(cls, h: Hit) -> RelatedOut:
        text = h.chunk.text
        cut = text if len(text) <= _PASSAGE_CHARS else text[:_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        a = h.article
        return cls(
            article_id=a.id,
            chunk_id=h.chunk.id,
            title=a.title,
            source=a.source,
            url=a.url,
            published=a.published,
            passage=cut,
        )


_PASSAGE_CHARS = 300


class AnswerOut(BaseModel):
    answer: str = Field(description="Answer text with [n] markers.")
    citations: list[CitationOut]
    abstained: bool
    confidence: float | None = Field(
        default=None,
        description="Calibrated probability (0-1) that the answer is right: among answers given 0.8, "
        "about 80% were right on held-out questions. Null when the engine cannot tell.",
    )
    related: list[RelatedOut] = Field(
        default_factory=list, description="When abstaining: the closest passages, to read on."
    )
    engine: str
    prompt_version: str | None = None
    timings_ms: dict[str, float]
    notes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, r: Result) -> AnswerOut:
        v = r.verified
        return cls(
            answer=v.text,
            citations=[CitationOut(**c.model_dump()) for c in v.citations],
            abstained=v.abstained,
            confidence=r.confidence,
            related=[RelatedOut.of(h) for h in r.related],
            engine=r.engine,
            prompt_version=r.prompt_version,
            timings_ms=r.timings_ms,
            notes=v.notes,
        )


class SummaryOut(BaseModel):
    summary: str = Field(description="Summary text with [n] markers.")
    citations: list[CitationOut]
    abstained: bool
    engine: str
    prompt_version: str | None = None
    timings_ms: dict[str, float]
    notes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, r: Result) -> SummaryOut:
        a = AnswerOut.of(r)
        return cls(summary=a.answer, **a.model_dump(exclude={"answer", "confidence", "related"}))


class Health(BaseModel):
    status: str
    # Only for a caller with a key where QA_API_KEYS is set: a probe without one learns only "ok".
    articles: int | None = None
    chunks: int | None = None
    engine: str | None = None
    store: str | None = None
    self_retrieval: float | None = Field(
        default=None,
        description="Share of 50 sampled chunks that their own stored vectors find among their 5 nearest "
        "(below 0.9: the vector index is degraded, as by a flood of near-copies).",
    )


class ErrorBody(BaseModel):
    type: str = Field(description="Machine-readable error kind, e.g. invalid_input, not_found.")
    message: str = Field(description="What is wrong, in words a user can act on.")
    details: list[dict[str, object]] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
    request_id: str | None = None


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


# -- briefings -----------------------------------------------------------------------------------


class BriefingArticle(BaseModel):
    id: str
    title: str
    source: str | None = None
    url: str | None = None
    published: datetime | date | None = None
    opinion: bool = Field(default=False, description="An opinion or analysis piece: never quoted as news.")

    @classmethod
    def of(cls, m: ArticleMeta, opinion: bool = False) -> BriefingArticle:
        return cls(id=m.id, title=m.title, source=m.source, url=m.url, published=m.published, opinion=opinion)


class BriefingSection(BaseModel):
    headline: str = Field(description="Complete and plain: chosen from the story's titles (or the LLM's).")
    lead: str = Field(default="", description="What happened, in one cited sentence: the summary's first.")
    summary: str = Field(description="2-4 sentences with [n] markers, each verified against its citation.")
    citations: list[CitationOut] = Field(default_factory=list)
    article_ids: list[str] = Field(description="Every article of the story, most central first.")
    articles: list[BriefingArticle]
    kind: Literal["news", "opinion"] = Field(default="news", description="opinion: told only by opinion pieces.")
    news_value: float = Field(default=0.0, description="The sum of the rank reasons' points.")
    rank_reasons: list[str] = Field(default_factory=list, description="Why the story is where it is.")
    conflicts: list[str] = Field(
        default_factory=list, description="Figures the story's articles give differently, and the latest report's."
    )


class BriefingLink(BaseModel):
    """A story listed under "Also today": its headline and articles, without a summary."""

    headline: str
    article_ids: list[str]
    articles: list[BriefingArticle]
    kind: Literal["news", "service", "roundup", "opinion"] = Field(
        default="news", description="Why it is a link: a story past the day's first few, or its kind of piece."
    )


class Briefing(BaseModel):
    date: dt.date | None = Field(description="The day covered; null if no article has a date.")
    sections: list[BriefingSection] = Field(default_factory=list, description="Stories, most newsworthy first.")
    also: list[BriefingLink] = Field(
        default_factory=list,
        description="Also today: service pieces, round-ups, columns and the stories past the first few, as links.",
    )
    markdown: str = Field(description="The briefing as Markdown, ready to paste into an email.")
    message: str = Field(description="What the briefing holds, or why it is empty.")
    engine: str = Field(description="The engine that drafted the summaries.")
    notes: list[str] = Field(default_factory=list, description="e.g. that an engine fell back.")
