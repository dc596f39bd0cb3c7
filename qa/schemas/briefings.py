"""The wire shapes of the daily briefing (``GET /briefing``, ``qa briefing --format json``)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from qa.models import (
    ArticleMeta,
)
from qa.schemas.answers import CitationOut


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
