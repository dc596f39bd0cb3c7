"""Internal domain models shared by ingest, store, retrieval and engines.

API request/response schemas live in ``qa.api.schemas``; these are the core's own types.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa.errors import InvalidInput
from qa.normalize import normalize_text


def short_hash(*parts: str, n: int = 16) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:n]


def url_id(url: str) -> str:
    # Same convention as the realtimeqa corpus: first 16 hex digits of sha1(url).
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def parse_published(value: Any) -> date | datetime | None:
    """Accept a date, a datetime or an ISO-ish string; a bare date stays a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        s = value.strip()
        try:
            if len(s) == 10:
                return date.fromisoformat(s)
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            pass
        from dateutil import parser as dateparser

        try:
            # Parsed twice, with defaults that differ in every field: what changes was not given.
            # "July 2nd" must not become July 2 of whatever year it is now.
            a = dateparser.parse(s, default=datetime(2000, 1, 1))
            b = dateparser.parse(s, default=datetime(2001, 2, 2))
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"unparseable date {value!r}") from exc
        missing = [f for f in ("year", "month", "day") if getattr(a, f) != getattr(b, f)]
        if missing:
            raise ValueError(f"date {value!r} has no {' or '.join(missing)}: give the whole date, e.g. 2025-07-02")
        return a
    raise ValueError(f"unparseable date {value!r}")


# Real UTC offsets run from -12:00 to +14:00; one beyond them ("+24:00") parses but breaks every
# conversion to UTC later, at write time or in a briefing.
MAX_UTC_OFFSET = timedelta(hours=14)
EARLIEST_PUBLISHED = date(1900, 1, 1)


def check_published(value: date | datetime | None) -> date | datetime | None:
    """A publication date an article can have: a real offset, not before 1900, and not after
    tomorrow (UTC), so no article dated 9999 overflows day arithmetic or becomes the default day."""
    if value is None:
        return None
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError(f"published {value.isoformat()} has a UTC offset beyond ±14:00")
    day = value.date() if isinstance(value, datetime) else value
    latest = datetime.now(UTC).date() + timedelta(days=1)
    if not EARLIEST_PUBLISHED <= day <= latest:
        raise ValueError(
            f"published {day.isoformat()} is outside {EARLIEST_PUBLISHED.isoformat()} … {latest.isoformat()}"
        )
    return value


MAX_AUTHORS = 100
MAX_AUTHOR_CHARS = 300


class Article(BaseModel):
    """One news article. ``id`` is stable: given, else from the url, else from title + text."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    url: str | None = None
    source: str | None = None
    published: datetime | date | None = None
    # Bounded: every listing returns them (a 5 MB list was once accepted and served back).
    authors: list[Annotated[str, Field(max_length=MAX_AUTHOR_CHARS)]] = Field(
        default_factory=list, max_length=MAX_AUTHORS
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id"):
            data = dict(data)
            if data.get("url"):
                data["id"] = url_id(str(data["url"]))
            elif data.get("title") and data.get("text"):
                data["id"] = short_hash(str(data["title"]).strip(), str(data["text"]).strip())
        return data

    @field_validator("title", "text", "url", "source", mode="before")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        # NUL ends strings in C code downstream and prints as nothing: a space, so that every
        # offset into the text (the citations' spans) stays where it was.
        return v.replace("\x00", " ") if isinstance(v, str) else v

    @field_validator("title", "text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not normalize_text(v).strip():  # invisible characters alone are blank too
            raise ValueError("must not be empty")
        return v

    @field_validator("title")
    @classmethod
    def _strip_title(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("published", mode="before")
    @classmethod
    def _parse_published(cls, v: Any) -> Any:
        return check_published(parse_published(v))

    @field_validator("authors", mode="before")
    @classmethod
    def _authors(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            v = [a.strip() for a in v.split(",") if a.strip()]
        if isinstance(v, list):
            return [a.replace("\x00", " ") if isinstance(a, str) else a for a in v]
        return v

    @property
    def published_date(self) -> date | None:
        if isinstance(self.published, datetime):
            return self.published.date()
        return self.published

    @property
    def version(self) -> str:
        """Content hash of everything stored about the article: changes iff re-ingest must write."""
        payload = self.model_dump(mode="json", exclude={"id"})
        return short_hash(self.id, json.dumps(payload, sort_keys=True, ensure_ascii=False))


class ArticleMeta(BaseModel):
    """What a citation or a search hit shows about an article (no text)."""

    id: str
    title: str
    url: str | None = None
    source: str | None = None
    published: datetime | date | None = None
    authors: list[str] = Field(default_factory=list)

    @field_validator("published", mode="before")
    @classmethod
    def _parse_published(cls, v: Any) -> Any:
        return parse_published(v)

    @classmethod
    def of(cls, a: Article) -> ArticleMeta:
        return cls(
            id=a.id,
            title=a.title,
            url=a.url,
            source=a.source,
            published=a.published,
            authors=list(a.authors),
        )

    @property
    def published_date(self) -> date | None:
        if isinstance(self.published, datetime):
            return self.published.date()
        return self.published


class Chunk(BaseModel):
    """A span of an article's text: ``article.text[start:end] == text``."""

    model_config = ConfigDict(frozen=True)

    id: str
    article_id: str
    position: int
    start: int
    end: int
    text: str


# Outlets one filter may name: each becomes a query variable, and SQLite allows a few thousand.
MAX_FILTER_SOURCES = 100


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: str, field: str | None = None) -> date:
    """A day as the API and the CLI take it: strictly YYYY-MM-DD, so no ``20250701``, no
    timestamp, no other separator, no spaces around it (the OpenAPI schema says ``format: date``,
    and a request that breaks it is refused). Else :class:`InvalidInput` saying what a day looks
    like (and what is wrong with this one, e.g. "month must be in 1..12")."""
    reason = ""
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            reason = f" ({exc})"
    raise InvalidInput(f"{value[:40]!r} is not a date{reason}: give a day as YYYY-MM-DD, e.g. 2025-03-10", field)


def day_number(d: date | None) -> int | None:
    """A day as the integer YYYYMMDD: how stores and indexes keep ``published_day`` and compare days."""
    return d.year * 10000 + d.month * 100 + d.day if d else None


class SearchFilters(BaseModel):
    source: list[str] | None = Field(default=None, max_length=MAX_FILTER_SOURCES)
    since: date | None = None
    until: date | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [v]
        return v or None

    @model_validator(mode="after")
    def _range(self) -> SearchFilters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    def is_empty(self) -> bool:
        return not (self.source or self.since or self.until)

    def day_range(self) -> tuple[int | None, int | None]:
        """``since`` and ``until`` as :func:`day_number`\ s (None: open on that side)."""
        return day_number(self.since), day_number(self.until)

    def admits_day(self, source: str | None, day: int | None) -> bool:
        """The filter rules, on an outlet and a ``published_day``: undated is in no date range."""
        if self.source and (source or "") not in self.source:
            return False
        if self.since or self.until:
            if day is None:
                return False
            since, until = self.day_range()
            if since is not None and day < since:
                return False
            if until is not None and day > until:
                return False
        return True

    def admits(self, meta: ArticleMeta) -> bool:
        return self.admits_day(meta.source, day_number(meta.published_date))


class Hit(BaseModel):
    """A retrieved chunk with its article's metadata and its scores."""

    chunk: Chunk
    article: ArticleMeta
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


Status = Literal["added", "updated", "unchanged", "failed"]
# Why an item failed: its input (never storable as sent), one more copy of a flooded text (a
# request's batch is refused whole), or the store's write (the same article may be sent again).
Cause = Literal["input", "copies", "store"]


class ArticleOutcome(BaseModel):
    """What ingest did with one item, typed end to end: the pipeline reports it, a job records it,
    the API and the CLI word it (``str``). Nothing downstream parses its text."""

    model_config = ConfigDict(frozen=True)

    id: str | None  # None: an item that is not an article (its reason says where it came from)
    status: Status
    reason: str | None = None
    cause: Cause | None = None  # set when failed
    index: int | None = None  # its place in a request's batch, where it came in one
    field: str | None = None  # the field at fault, where the input names one

    @property
    def retryable(self) -> bool:
        """The write failed, not the input: sending the same article again may store it."""
        return self.cause == "store"

    @property
    def detail(self) -> str:
        """Why, with the field at fault: what a job records beside the item's index and id."""
        return f"{self.field}: {self.reason}" if self.field else self.reason or ""

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.id}: {self.reason}" if self.id else self.reason or ""
        if self.field:
            return f"articles[{self.index}].{self.field}: {self.reason}"
        return f"articles[{self.index}]" + (f" ({self.id})" if self.id else "") + f": {self.reason}"


def failure(article_id: str | None, reason: str, cause: Cause = "input", **where: Any) -> ArticleOutcome:
    return ArticleOutcome(id=article_id, status="failed", reason=reason, cause=cause, **where)


class IngestReport(BaseModel):
    model_config = ConfigDict(extra="forbid")  # errors= is a view now: one given would vanish

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    chunks: int = 0
    failed: list[ArticleOutcome] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Each failure as one line: what the API returns and the CLI prints."""
        return [str(f) for f in self.failed]

    def outcomes(self) -> dict[str, ArticleOutcome]:
        """Every article's outcome by id (items that were not articles have none)."""
        out = {
            i: ArticleOutcome(id=i, status=status)
            for status, ids in (("added", self.added), ("updated", self.updated), ("unchanged", self.unchanged))
            for i in ids
        }
        return out | {f.id: f for f in self.failed if f.id is not None}

    def merge(self, other: IngestReport) -> None:
        for k, v in other.timings_ms.items():
            self.timings_ms[k] = round(self.timings_ms.get(k, 0.0) + v, 2)
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.chunks += other.chunks
        self.failed += other.failed


def embedding_text(title: str, chunk_text: str) -> str:
    """What the embedder and the lexical index see: the title gives every chunk its topic, and the
    text is normalised (the stored text, which citations quote, is not)."""
    return normalize_text(f"{title}\n{chunk_text}")
