from __future__ import annotations

from fastapi import APIRouter

from qa.api.deps import AnswersDep
from qa.schemas import ErrorOut, SummarizeRequest, SummaryOut

router = APIRouter(tags=["answers"])


@router.post(
    "/summarize",
    response_model=SummaryOut,
    summary="Summarize one article, or what a query retrieves, in cited sentences",
    responses={404: {"model": ErrorOut, "description": "No such article."}},
)
def summarize(services: AnswersDep, req: SummarizeRequest) -> SummaryOut:
    if req.article_id is not None:
        return SummaryOut.of(services.summarize_article(req.article_id))
    filters = req.filters.to_search() if req.filters else None
    return SummaryOut.of(services.summarize(req.query or "", filters=filters))
