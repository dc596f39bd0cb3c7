from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from qa.api.deps import ArticlesBody, ArticlesDep
from qa.schemas import ArticleDetail, ArticleList, ArticleOut, Day, ErrorOut, IngestResult
from qa.services import search_filters

router = APIRouter(prefix="/articles", tags=["articles"])


@router.post("", response_model=IngestResult, summary="Add or update articles")
def add_articles(services: ArticlesDep, items: ArticlesBody) -> IngestResult:
    return IngestResult.of(services.add_articles(items))


@router.get("", response_model=ArticleList, summary="List stored articles, newest first")
def list_articles(
    services: ArticlesDep,
    source: Annotated[list[str] | None, Query(description="Outlet (repeatable)")] = None,
    since: Day | None = None,
    until: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArticleList:
    page, total = services.list_articles(search_filters(source, since, until), limit, offset)
    return ArticleList(articles=[ArticleOut.of(m) for m in page], total=total, limit=limit, offset=offset)


_NO_SUCH_ARTICLE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No article has this id."}}


@router.get(
    "/{article_id}", response_model=ArticleDetail, summary="One article with its text", responses=_NO_SUCH_ARTICLE
)
def get_article(services: ArticlesDep, article_id: str) -> ArticleDetail:
    return ArticleDetail.of_article(services.get_article(article_id))


@router.delete(
    "/{article_id}",
    status_code=204,
    summary="Delete an article; its chunks leave search",
    responses=_NO_SUCH_ARTICLE,
)
def delete_article(services: ArticlesDep, article_id: str) -> Response:
    services.delete_article(article_id)
    return Response(status_code=204)
