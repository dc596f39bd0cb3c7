"""FastAPI dependencies as ``Annotated`` aliases, so routes declare what they need by type.

Each route asks for one need (answers, search, briefings, articles, ingest, health): a protocol of
the :class:`~qa.services.Services` operations it may call, all served by the one ``Services``.
mypy holds a route to its need, and ``Services`` to every need (:func:`meets_every_need`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Annotated, Protocol

from fastapi import Body, Depends, Request

from qa.answering import Result
from qa.ingest.jobs import PAGE_ARTICLES, Job, WorkerInfo
from qa.models import Article, ArticleMeta, Hit, IngestReport, SearchFilters
from qa.schemas import ArticleBatch, ArticleIn, Briefing
from qa.services import Services, Status
from qa.store.health import SelfRetrieval


class Answers(Protocol):
    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: dt.date | None = None,
    ) -> Result: ...
    def stream_ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: dt.date | None = None,
    ) -> Iterator[str | Result]: ...
    def summarize_article(self, article_id: str) -> Result: ...
    def summarize(self, query: str, filters: SearchFilters | None = None) -> Result: ...


class Search(Protocol):
    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]: ...


class Briefings(Protocol):
    def briefing(
        self, day: dt.date | None = None, sources: Sequence[str] | None = None, max_sections: int | None = None
    ) -> Briefing: ...


class Articles(Protocol):
    def add_articles(self, items: Sequence[ArticleIn]) -> IngestReport: ...
    def list_articles(
        self, filters: SearchFilters | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[ArticleMeta], int]: ...
    def get_article(self, article_id: str) -> Article: ...
    def delete_article(self, article_id: str) -> None: ...


class Ingest(Protocol):
    def submit_ingest(self, items: Sequence[ArticleIn], client: str | None = None) -> Job: ...
    def ingest_workers(self) -> list[WorkerInfo]: ...
    def ingest_job(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job: ...
    def cancel_ingest(self, job_id: str) -> Job: ...


class HealthChecks(Protocol):
    def status(self, counted: bool = True) -> Status: ...
    def self_retrieval(self) -> SelfRetrieval: ...
    def check_ready(self) -> Status: ...


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def meets_every_need(services: Services) -> tuple[Answers, Search, Briefings, Articles, Ingest, HealthChecks]:
    """Never called: mypy checks here that Services provides every need the routes declare."""
    return services, services, services, services, services, services


AnswersDep = Annotated[Answers, Depends(get_services)]
SearchDep = Annotated[Search, Depends(get_services)]
BriefingsDep = Annotated[Briefings, Depends(get_services)]
ArticlesDep = Annotated[Articles, Depends(get_services)]
IngestDep = Annotated[Ingest, Depends(get_services)]
HealthDep = Annotated[HealthChecks, Depends(get_services)]


def _articles_of(
    body: Annotated[
        ArticleIn | list[ArticleIn] | ArticleBatch, Body(description="One article, a list, or {articles: [...]}")
    ],
) -> list[ArticleIn]:
    return body.articles if isinstance(body, ArticleBatch) else body if isinstance(body, list) else [body]


# The body of POST /articles and POST /ingest, as the list of articles it holds.
ArticlesBody = Annotated[list[ArticleIn], Depends(_articles_of)]
