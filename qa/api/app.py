"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import APIKeyHeader, HTTPBearer
from fastapi_offline import FastAPIOffline

from qa import __version__
from qa.api import errors, middleware
from qa.api.routes import articles, ask, briefing, health, ingest, search, summarize
from qa.config import Settings, get_settings
from qa.schemas import ErrorOut
from qa.services import Services

log = logging.getLogger("qa.api")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# Every route can answer these; the body is always the one error shape.
_COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be read (not UTF-8 JSON)."),
    401: _error("A key is required (QA_API_KEYS is set) and was missing or wrong."),
    403: _error("A read-only key (QA_READ_API_KEYS) was sent to add or delete."),
    413: _error("The request body is over QA_MAX_BODY_BYTES."),
    422: _error("Invalid input; the message says what is wrong."),
    429: _error("Over the rate limit (QA_RATE_LIMIT); the Retry-After header says when to retry."),
    503: _error(
        "The store cannot be reached, or every LLM slot is busy (QA_LLM_MAX_IN_FLIGHT); Retry-After says when to retry."
    ),
    500: _error("Unexpected error; the body carries only the request id to quote."),
}


# How a key is sent, so /docs offers "Authorize" and clients see which routes need one. The key
# itself is checked by middleware.ApiKeys (which also knows the read-only role), so these only
# document it: auto_error=False.
_KEYED = [
    Security(APIKeyHeader(name="X-API-Key", scheme_name="apiKey", auto_error=False)),
    Security(HTTPBearer(scheme_name="bearer", auto_error=False)),
]


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = services or Services.from_settings(settings)
        claimed = svc.claim_writer()  # an embedded store: no other process may write to it while this one serves
        repaired = svc.repair()
        if repaired:
            log.warning("removed %d chunks left by an interrupted ingest", repaired)
        if settings.seed_on_start:
            svc.seed_if_empty()
        # Up to date and loaded before the first request (a new data dir builds its lexical index
        # here, not in someone's first query); the server answers nothing, /readyz included, until then.
        svc.warm()
        # Jobs a stopped server left unfinished resume here; new ones run as they are submitted
        # (unless QA_INGEST_WORKER=false: then `qa worker` processes run them).
        if settings.ingest_worker:
            svc.start_jobs()
        svc.start_compaction()  # the embedded store's one writer gives back replaced chunks' room
        app.state.services = svc
        try:
            yield
        finally:
            svc.stop_compaction()
            svc.stop_jobs()
            if claimed:  # another app in this process (tests) may still hold it otherwise
                svc.release_writer()

    # Swagger UI and ReDoc from the fastapi-offline wheel: /docs works with no internet, and the page
    # loads nothing from a third party.
    app = FastAPIOffline(
        static_url="/docs-assets",
        title="qa — cited answers over the news",
        version=__version__,
        description="Ask questions about stored news articles and get short answers whose every "
        "sentence cites the passage it came from — or an honest abstention.",
        lifespan=lifespan,
        responses=_COMMON_ERRORS,
    )
    errors.install(app)

    middleware.install(app, settings)

    if settings.cors_origins:  # closed unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        )

    keyed = _KEYED if settings.api_keys or settings.read_api_keys else []
    app.include_router(health.router)  # liveness: a probe needs no key (middleware.OPEN_PATHS)
    app.include_router(health.ready, dependencies=keyed)
    for module in (articles, ingest, search, ask, summarize, briefing):
        app.include_router(module.router, dependencies=keyed)
    return app
