from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from qa.api.deps import ServicesDep
from qa.briefing import DEFAULT_MAX_SECTIONS, Briefing, BriefingService
from qa.briefing.render import render_html
from qa.schemas import ErrorOut

router = APIRouter(tags=["briefings"])

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_lock = threading.Lock()


def briefings(request: Request, services: ServicesDep) -> BriefingService:
    """One BriefingService per app (it holds the briefing cache), made on first use."""
    state = request.app.state
    service: BriefingService | None = getattr(state, "briefings", None)
    if service is None or service.store is not services.store:
        with _lock:
            service = getattr(state, "briefings", None)
            if service is None or service.store is not services.store:
                service = BriefingService.from_services(services)
                state.briefings = service
    return service


def parse_day(value: str | None) -> dt.date | None:
    """A strict YYYY-MM-DD (no timestamps, no other separators), else a 422 that says so."""
    if value is None:
        return None
    value = value.strip()
    reason = ""
    if _DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            reason = f" ({exc})"  # e.g. "month must be in 1..12"
    raise RequestValidationError(
        [
            {
                "type": "date_parsing",
                "loc": ("query", "date"),
                "msg": f"{value[:40]!r} is not a date{reason}: give a day as YYYY-MM-DD, e.g. 2025-03-10",
                "input": value[:40],
            }
        ]
    )


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
    request: Request,
    services: ServicesDep,
    day: Annotated[
        str | None,
        Query(
            alias="date",
            description="The day, YYYY-MM-DD. Default: the latest day with articles.",
            examples=["2025-03-10"],
            max_length=40,
            json_schema_extra={"format": "date"},  # parsed by parse_day, whose 422 says what a day looks like
        ),
    ] = None,
    source: Annotated[list[str] | None, Query(description="Only these outlets (repeatable).")] = None,
    max_sections: Annotated[int, Query(ge=1, le=50, description="At most this many stories.")] = DEFAULT_MAX_SECTIONS,
    fmt: Annotated[Literal["json", "md", "html"], Query(alias="format", description="json, md or html.")] = "json",
) -> Briefing | Response:
    service = briefings(request, services)
    result = service.build(parse_day(day), source or None, max_sections)
    if fmt == "md":
        return Response(result.markdown, media_type="text/markdown; charset=utf-8")
    if fmt == "html":
        return HTMLResponse(render_html(result))
    return result
