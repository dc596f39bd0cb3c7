"""What every request passes through, in this order: request id and access log, security headers,
API key, rate limit, body size. One middleware rather than five, because each Starlette
``BaseHTTPMiddleware`` layer costs a task and a copy of the response stream.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request, Response
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from qa import logs
from qa.api import errors
from qa.config import Settings

log = logging.getLogger("qa.api")
access_log = logging.getLogger("qa.access")

OPEN_PATHS = frozenset({"/healthz"})  # liveness probes carry no key
# POSTs that only read: a question or a query in a body. Every other POST, and every DELETE, writes.
READING_POSTS = frozenset({"/ask", "/summarize"})
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})  # probes poll often; they must not eat a client's quota
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def writes(method: str, path: str) -> bool:
    """Whether a request may change what is stored (a read-only key is refused it)."""
    return method in ("POST", "PUT", "PATCH", "DELETE") and path not in READING_POSTS


class KeyCheck:
    """API keys, compared in constant time; only a short fingerprint of a key is ever logged.
    Keys have one of two roles: full, or read-only (``QA_READ_API_KEYS``)."""

    def __init__(self, keys: Sequence[str], read_keys: Sequence[str] = ()) -> None:
        self._digests = [_digest(k) for k in keys if k]
        self._read_digests = [_digest(k) for k in read_keys if k]

    @property
    def enabled(self) -> bool:
        return bool(self._digests or self._read_digests)

    def read_only(self, key: str) -> bool:
        d = _digest(key)
        return any([hmac.compare_digest(d, k) for k in self._read_digests])

    @staticmethod
    def presented(request: Request) -> list[str]:
        """Every credential the request carries, from every copy of either header. Surrounding
        whitespace is not part of a header value; an Authorization without the Bearer scheme is a
        wrong credential, even if its text is a key."""
        found = []
        for auth in request.headers.getlist("authorization"):
            scheme, _, token = auth.strip().partition(" ")
            found.append(token.strip() if scheme.lower() == "bearer" else "")
        found += [v.strip() for v in request.headers.getlist("x-api-key")]
        return found

    def valid(self, key: str) -> bool:
        if not key:
            return False
        # Equal-length digests, and every key compared: neither timing nor order says which key matched.
        d = _digest(key)
        return any([hmac.compare_digest(d, k) for k in [*self._digests, *self._read_digests]])  # no short circuit


def fingerprint(key: str) -> str:
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:10]


class RateLimit:
    """Requests per client in a moving window, counted by the maintained ``limits`` library."""

    def __init__(self, rate: str, storage_uri: str) -> None:
        self.items = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, identity: str) -> int | None:
        """None if the request may go on; else whole seconds until it may be retried."""
        for item in self.items:
            if not self.limiter.hit(item, identity):
                reset, _ = self.limiter.get_window_stats(item, identity)
                return max(1, math.ceil(reset - time.time()))
        return None


def install(app: FastAPI, settings: Settings) -> None:
    keys = KeyCheck(settings.api_keys, settings.read_api_keys)
    rate = RateLimit(settings.rate_limit, settings.rate_limit_storage) if settings.rate_limit else None
    # Key guessing is throttled per address even where QA_RATE_LIMIT is off (the default).
    guesses = (
        RateLimit(settings.auth_failure_limit, settings.rate_limit_storage)
        if keys.enabled and settings.auth_failure_limit
        else None
    )
    limit = settings.max_body_bytes
    too_big = f"request body over the limit of {limit:,} bytes (QA_MAX_BODY_BYTES)"

    def over_rate(request: Request, client: str, failed_key: bool = False) -> Response | None:
        # Probes are not counted, but a wrong key is, on every route: /readyz must not be a free guess.
        counted = failed_key or request.url.path not in UNLIMITED_PATHS
        wait = rate.retry_after(client) if rate is not None and counted else None
        if wait is None:
            return None
        return errors.error_response(
            request,
            429,
            f"rate limit of {settings.rate_limit} exceeded (QA_RATE_LIMIT); retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )

    async def guarded(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        client = request.client.host if request.client else "unknown"
        if keys.enabled and path not in OPEN_PATHS and request.method != "OPTIONS":
            presented = keys.presented(request)
            # Every credential sent must be valid: a wrong one next to a right one is still a wrong one.
            if not presented or not all([keys.valid(k) for k in presented]):
                # Failed attempts count against the address, so keys cannot be guessed at full speed.
                refused = over_rate(request, client, failed_key=True)
                if refused is not None:
                    return refused
                wait = guesses.retry_after(f"auth-failure:{client}") if guesses is not None else None
                if wait is not None:
                    return errors.error_response(
                        request,
                        429,
                        f"too many requests with a wrong or missing API key from this address "
                        f"(QA_AUTH_FAILURE_LIMIT {settings.auth_failure_limit}); retry in {wait} s",
                        headers={"Retry-After": str(wait)},
                    )
                problem = "invalid API key" if presented else "missing API key"
                return errors.error_response(
                    request,
                    401,
                    f"{problem}: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
                    "(keys are set by QA_API_KEYS)",
                    headers={"WWW-Authenticate": 'Bearer realm="qa"'},
                )
            client = fingerprint(presented[0])
            if writes(request.method, path) and any([keys.read_only(k) for k in presented]):
                return errors.error_response(
                    request,
                    403,
                    f"this key may only read (QA_READ_API_KEYS): {request.method} {path} adds or deletes; "
                    "use a key from QA_API_KEYS",
                )
        # An open path (/healthz) shows its details only to a caller whose keys are all valid.
        presented = keys.presented(request) if keys.enabled else []
        request.state.authenticated = not keys.enabled or bool(presented and all(keys.valid(k) for k in presented))
        request.state.client = client
        refused = over_rate(request, client)
        if refused is not None:
            return refused
        # Declared sizes are refused up front; chunked bodies are counted as they arrive.
        declared = request.headers.get("content-length")
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
    async def edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex  # never echo arbitrary header text
        request.state.request_id = rid
        token = logs.request_id.set(rid)
        stages = logs.start_stages()
        t0 = time.perf_counter()
        try:
            response = await guarded(request, call_next)
        except Exception:
            log.exception("unexpected error")
            response = errors.error_response(request, 500, "internal error; quote the request id when reporting it")
        response.headers["X-Request-ID"] = rid
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        if not request.url.path.startswith(("/docs", "/redoc", "/docs-assets")):
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        access_log.info(
            "%s %s %d",
            request.method,
            request.url.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
                "client": getattr(request.state, "client", None),
                "stages_ms": stages or None,
            },
        )
        logs.request_id.reset(token)
        return response
