from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import ValidationError

from qa.api.deps import ServicesDep
from qa.errors import InvalidInput
from qa.models import SearchFilters
from qa.schemas import Day, SearchHitOut, SearchResult

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResult, summary="Passages that match a query (no answer)")
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="What to look for")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    source: Annotated[list[str] | None, Query()] = None,
    since: Day | None = None,
    until: Day | None = None,
) -> SearchResult:
    try:
        filters = SearchFilters(source=source, since=since, until=until)
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from None
    hits = services.retriever.search(q, k=k, filters=filters)
    return SearchResult(query=q, hits=[SearchHitOut.of(h) for h in hits])
