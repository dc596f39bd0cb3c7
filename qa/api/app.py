"""The FastAPI application factory."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from qa import __version__
from qa.api import errors
from qa.api.routes import articles, ask, briefing, health, search, summarize
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

    @app.middleware("http")
    async def body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Declared sizes are refused up front; chunked bodies are counted as they arrive.
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        too_big = f"request body over the limit of {limit:,} bytes (QA_MAX_BODY_BYTES)"
        if declared and declared.isdigit() and int(declared) > limit:
            return errors.error_response(request, 413, too_big)
        if request.method in ("POST", "PUT", "PATCH") and not declared:
            body = b""
            async for part in request.stream():
                body += part
                if len(body) > limit:
                    return errors.error_response(request, 413, too_big)
            request._body = body  # starlette reads the cached body downstream
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        return response

    if settings.cors_origins:  # closed unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        )

    for module in (health, articles, search, ask, summarize, briefing):
        app.include_router(module.router)
    return app
