from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from qa.api.deps import BriefingsDep
from qa.briefing import DEFAULT_MAX_SECTIONS, Briefing
from qa.briefing.render import render_html
from qa.models import MAX_FILTER_SOURCES, parse_day
from qa.schemas import ErrorOut

router = APIRouter(tags=["briefings"])


@router.get(
    "/briefing",
    response_model=Briefing,
    summary="The day's stories, most newsworthy first, each with one cited summary",
    responses={
        200: {
            "description": "The briefing as JSON (default); with `format=md` as Markdown ready to paste into "
            "an email; with `format=html` as one self-contained page. A day without articles is a 200 "
            "with no sections and a message saying so.",
            "content": {"text/markdown": {}, "text/html": {}},
        },
        502: {"model": ErrorOut, "description": "The LLM engine failed and no fallback could write a summary."},
    },
)
def briefing(
    services: BriefingsDep,
    day: Annotated[
        str | None,
        Query(
            alias="date",
            description="The day, YYYY-MM-DD. Default: the latest day with articles, up to today.",
            examples=["2025-03-10"],
            max_length=40,
            json_schema_extra={"format": "date"},  # parsed by parse_day, whose 422 says what a day looks like
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        Query(
            description=f"Only these outlets (repeatable, at most {MAX_FILTER_SOURCES}).", max_length=MAX_FILTER_SOURCES
        ),
    ] = None,
    max_sections: Annotated[int, Query(ge=1, le=50, description="At most this many stories.")] = DEFAULT_MAX_SECTIONS,
    fmt: Annotated[Literal["json", "md", "html"], Query(alias="format", description="json, md or html.")] = "json",
) -> Briefing | Response:
    when = parse_day(day, field="query.date") if day is not None else None
    result = services.briefing(when, source or None, max_sections)
    if fmt == "md":
        return Response(result.markdown, media_type="text/markdown; charset=utf-8")
    if fmt == "html":
        return HTMLResponse(render_html(result))
    return result
