"""One JSON error shape for all failures: ``{"error": {type, message, details?}, "request_id"}``."""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Sequence
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qa.errors import (
    Conflict,
    EmbedderMismatch,
    EmbeddingEndpointError,
    EngineError,
    InvalidInput,
    NotFound,
    Overloaded,
    QAError,
    StoreUnavailable,
)
from qa.schemas import ErrorBody, ErrorOut

log = logging.getLogger("qa.api")

_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "rate_limited",
    502: "engine_error",
    503: "unavailable",
}


def error_response(
    request: Request,
    status: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorOut(
        error=ErrorBody(type=_TYPES.get(status, "error"), message=message, details=details),
        request_id=getattr(request.state, "request_id", None),
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _why_unreadable(request: Request) -> str:
    """Say what is wrong with a body FastAPI could not parse: the encoding, or the JSON itself."""
    body = await request.body()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "the request body is not UTF-8: send UTF-8 JSON"
    try:
        json.loads(body)
    except RecursionError:
        return "the JSON body is nested too deeply to read"
    except ValueError as exc:  # e.g. a number of thousands of digits
        return f"the JSON body could not be read: {exc}"
    return "the request body could not be read: send UTF-8 JSON"


# POST /articles takes one article, a list, or {"articles": [...]}: a union whose every branch
# reports its own errors. The shape of the body says which branch the client meant.
_BRANCHES = {"ArticleIn": dict, "list[ArticleIn]": list, "ArticleBatch": dict}


def _one_branch(errors: Sequence[Any], body: Any) -> list[dict[str, Any]]:
    """Only the errors of the union branch the body's shape picks, with the branch name dropped."""
    tagged = [e for e in errors if len(e.get("loc", ())) > 1 and e["loc"][1] in _BRANCHES]
    if not tagged or len(tagged) != len(errors):
        return list(errors)
    meant = (
        "list[ArticleIn]"
        if isinstance(body, list)
        else "ArticleBatch"
        if isinstance(body, dict) and "articles" in body
        else "ArticleIn"
    )
    chosen = [e for e in errors if e["loc"][1] == meant] or list(errors)
    out = []
    for e in chosen:
        loc = e["loc"]
        rest = ("articles", *loc[2:]) if meant == "list[ArticleIn]" else loc[2:]
        out.append({**e, "loc": ("body", *rest)})
    return out


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


def _detail(e: dict[str, Any], known: frozenset[str] = frozenset()) -> dict[str, str]:
    loc = tuple(e.get("loc", ()))
    if e.get("type") == "json_invalid":  # loc is ("body", <character offset>), not a field
        reason = (e.get("ctx") or {}).get("error", "")
        offset = loc[1] if len(loc) > 1 else "?"
        return {
            "field": "body",
            "message": f"not valid JSON at character {offset}" + (f" ({reason})" if reason else ""),
        }
    if e.get("type") == "string_pattern_mismatch" and (e.get("ctx") or {}).get("pattern") == r"\S":
        return {"field": _location(loc), "message": "it is blank (only spaces)"}
    if e.get("type") == "extra_forbidden" and loc and isinstance(loc[-1], str):
        guess = _did_you_mean(loc[-1], known)
        return {"field": _location(loc), "message": "unknown field" + (f" (did you mean {guess!r}?)" if guess else "")}
    return {"field": _location(loc), "message": e.get("msg", "")}


def _body_fields(request: Request) -> frozenset[str]:
    """The field names this route's body may carry, nested models included."""
    field = getattr(request.scope.get("route"), "body_field", None)
    seen: set[type] = set()
    names: set[str] = set()

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for name, info in tp.model_fields.items():
                names.add(name)
                walk(info.annotation)
        for arg in get_args(tp):
            walk(arg)

    walk(getattr(getattr(field, "field_info", None), "annotation", None))
    return frozenset(names)


def _did_you_mean(name: str, known: frozenset[str]) -> str | None:
    """The field a client most likely meant: a close spelling, or the last word (``top_k`` → ``k``)."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return close[0]
    last = name.replace("-", "_").rsplit("_", 1)[-1]
    return last if last != name and last in known else None


def _not_json(request: Request, errors: Sequence[Any]) -> str | None:
    """A body sent without a JSON content type (curl -d) reaches validation as form data."""
    kind = request.headers.get("content-type", "")
    if (
        request.method in ("POST", "PUT", "PATCH")
        and "json" not in kind
        and any(tuple(e.get("loc", ())) == ("body",) for e in errors)
    ):
        return (
            f"the body must be JSON, sent with 'Content-Type: application/json' (it came as {kind or 'no type'!r}; "
            "with curl, use --json or -H 'Content-Type: application/json')"
        )
    return None


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """The methods the API documents for this path. A path spelled out (/ingest/workers) is its own
    resource, whatever a templated one (/ingest/{job_id}) would also match."""
    paths = app.openapi().get("paths", {})
    path = request.url.path
    entry = paths.get(path) or next(
        (v for t, v in paths.items() if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", t), path)), None
    )
    if entry is not None:
        return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m.lower() in entry]
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


# Each error kind's HTTP status: core errors know nothing of HTTP; this is where they meet it.
STATUS: dict[type[QAError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    StoreUnavailable: 503,
    EmbedderMismatch: 503,
    Overloaded: 503,
    EmbeddingEndpointError: 502,
    EngineError: 502,
}


def status_of(exc: QAError) -> int:
    """The status of the most specific kind ``exc`` is (500 for a kind not mapped here)."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 500)


def install(app: FastAPI) -> None:
    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError) -> JSONResponse:
        if isinstance(exc, InvalidInput) and exc.field:  # one input at fault: said like a schema error
            details = [{"field": exc.field, "message": exc.reason}]
            return error_response(request, status_of(exc), f"invalid request: {exc.field}: {exc.reason}", details)
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Overloaded) else None
        if not isinstance(exc, NotFound):
            log.info("request failed: %s", exc)
        return error_response(request, status_of(exc), str(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        not_json = _not_json(request, exc.errors())
        if not_json:
            return error_response(request, 422, f"invalid request: {not_json}")
        known = _body_fields(request)
        details = [_detail(e, known) for e in _one_branch(exc.errors(), exc.body)]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return error_response(request, 422, f"invalid request: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else {}
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = await _why_unreadable(request)
        if exc.status_code == 405:
            # Starlette's Allow names only the first route on the path; list every method it has.
            allowed = _allowed_methods(app, request)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}"
        return error_response(request, exc.status_code, message, headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error (request %s)", getattr(request.state, "request_id", "-"))
        return error_response(request, 500, "internal error; quote the request id when reporting it")
