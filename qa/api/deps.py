"""FastAPI dependencies as ``Annotated`` aliases, so routes declare what they need by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Request

from qa.schemas import ArticleBatch, ArticleIn
from qa.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _articles_of(
    body: Annotated[
        ArticleIn | list[ArticleIn] | ArticleBatch, Body(description="One article, a list, or {articles: [...]}")
    ],
) -> list[ArticleIn]:
    return body.articles if isinstance(body, ArticleBatch) else body if isinstance(body, list) else [body]


# The body of POST /articles and POST /ingest, as the list of articles it holds.
ArticlesBody = Annotated[list[ArticleIn], Depends(_articles_of)]
