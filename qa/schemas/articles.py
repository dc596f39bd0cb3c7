"""The wire shapes of stored articles: one, its text, and a page of them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from qa.models import (
    Article,
    ArticleMeta,
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
