from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qa.api.deps import SearchDep
from qa.schemas import Day, SearchHitOut, SearchResult
from qa.services import search_filters

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResult, summary="Passages that match a query (no answer)")
def search(
    services: SearchDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, pattern=r"\S", description="What to look for")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    source: Annotated[list[str] | None, Query()] = None,
    since: Day | None = None,
    until: Day | None = None,
) -> SearchResult:
    hits = services.search(q, k=k, filters=search_filters(source, since, until))
    return SearchResult(query=q, hits=[SearchHitOut.of(h) for h in hits])
