from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import ValidationError

from qa.api.deps import ServicesDep
from qa.errors import InvalidInput, NotFound, StoreUnavailable
from qa.ingest.pipeline import Ingestor
from qa.models import Article, SearchFilters
from qa.schemas import ArticleBatch, ArticleDetail, ArticleIn, ArticleList, ArticleOut, Day, ErrorOut, IngestResult

router = APIRouter(prefix="/articles", tags=["articles"])


def _to_articles(items: list[ArticleIn], limit: int, max_chars: int, ingestor: Ingestor) -> list[Article]:
    if len(items) > limit:
        raise InvalidInput(f"batch has {len(items)} articles, over the limit of {limit} (QA_MAX_BATCH_ARTICLES)")
    articles, problems = [], []
    for i, item in enumerate(items):
        try:
            articles.append(Article(**item.model_dump(exclude_none=True)))
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e.get("loc", ())) or "article"
            problems.append(f"articles[{i}].{field}: {e['msg']}")
            continue
        if len(item.text) > max_chars:
            problems.append(
                f"articles[{i}].text: {len(item.text):,} characters, over the limit of {max_chars:,} "
                "(QA_MAX_ARTICLE_CHARS)"
            )
        elif problem := ingestor.problem(articles[-1]):
            problems.append(f"articles[{i}] ({articles[-1].id}): {problem}")
    if problems:
        # All or nothing over HTTP: a client retries one request, not half of one.
        raise InvalidInput("nothing was stored: " + "; ".join(problems[:10]))
    return articles


@router.post("", response_model=IngestResult, summary="Add or update articles")
def add_articles(
    services: ServicesDep,
    body: Annotated[
        ArticleIn | list[ArticleIn] | ArticleBatch,
        Body(description="One article, a list, or {articles: [...]}"),
    ],
) -> IngestResult:
    items = body.articles if isinstance(body, ArticleBatch) else body if isinstance(body, list) else [body]
    settings = services.settings
    articles = _to_articles(items, settings.max_batch_articles, settings.max_article_chars, services.ingestor)
    report = services.ingestor.ingest(articles)
    if report.errors:  # input was checked above, so these are storage failures; the rest were stored
        stored = len(report.added) + len(report.updated) + len(report.unchanged)
        raise StoreUnavailable(
            f"{len(report.errors)} article(s) could not be stored ({stored} were): " + "; ".join(report.errors[:5])
        )
    return IngestResult.of(report)


@router.get("", response_model=ArticleList, summary="List stored articles, newest first")
def list_articles(
    services: ServicesDep,
    source: Annotated[list[str] | None, Query(description="Outlet (repeatable)")] = None,
    since: Day | None = None,
    until: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArticleList:
    try:
        filters = SearchFilters(source=source, since=since, until=until)
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from None
    metas = services.store.list_articles(filters, limit=10**9)
    page = metas[offset : offset + limit]
    return ArticleList(articles=[ArticleOut.of(m) for m in page], total=len(metas), limit=limit, offset=offset)


_NO_SUCH_ARTICLE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No article has this id."}}


@router.get(
    "/{article_id}", response_model=ArticleDetail, summary="One article with its text", responses=_NO_SUCH_ARTICLE
)
def get_article(services: ServicesDep, article_id: str) -> ArticleDetail:
    article = services.store.get_article(article_id)
    if article is None:
        raise NotFound(f"no article with id {article_id!r}")
    return ArticleDetail.of_article(article)


@router.delete(
    "/{article_id}",
    status_code=204,
    summary="Delete an article; its chunks leave search",
    responses=_NO_SUCH_ARTICLE,
)
def delete_article(services: ServicesDep, article_id: str) -> Response:
    if not services.ingestor.delete(article_id):
        raise NotFound(f"no article with id {article_id!r}")
    return Response(status_code=204)
