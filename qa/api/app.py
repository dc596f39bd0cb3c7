"""The FastAPI application factory."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from qa import __version__
from qa.api import errors
from qa.api.routes import articles, ask, health, search, summarize
from qa.config import Settings, get_settings
from qa.schemas import ErrorOut
from qa.services import Services

log = logging.getLogger("qa.api")


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = services or Services.from_settings(settings)
        repaired = svc.store.repair()
        if repaired:
            log.warning("removed %d chunks left by an interrupted ingest", repaired)
        if settings.seed_on_start:
            svc.seed_if_empty()
        app.state.services = svc
        yield

    app = FastAPI(
        title="qa — cited answers over the news",
        version=__version__,
        description="Ask questions about stored news articles and get short answers whose every "
        "sentence cites the passage it came from — or an honest abstention.",
        lifespan=lifespan,
        responses={
            422: {
                "model": ErrorOut,
                "description": "Invalid input; the message says what is wrong.",
            }
        },
    )
    errors.install(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid[:64]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    for module in (health, articles, search, ask, summarize):
        app.include_router(module.router)
    return app
