"""The wire shapes of search, answers and summaries: requests, their filters and days, and
cited results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, model_validator

from qa.answering import Result
from qa.errors import InvalidInput
from qa.models import (
    MAX_FILTER_SOURCES,
    Hit,
    SearchFilters,
    parse_day,
)


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
