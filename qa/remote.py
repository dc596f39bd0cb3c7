"""A running ``qa`` server, as the CLI's ``--server URL`` (or ``QA_SERVER``) reaches it.

A call through a server loads no store and no model here: ``qa ask --server`` answers in the
time of one HTTP request, from the store the server keeps current. The server's refusals come
back as the CLI's one-line errors, with its own message.
"""

from __future__ import annotations

from typing import Any

import httpx

from qa.errors import InvalidInput
from qa.redact import redact_url

TIMEOUT_S = 120.0


def message(r: httpx.Response) -> str:
    """The server's error message (its JSON error body), else the start of the body."""
    try:
        return str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return r.text[:200]


class Remote:
    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The server's answer; unreachable or refused is an :class:`InvalidInput` naming why."""
        shown = redact_url(self.url)
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise InvalidInput(f"cannot reach {shown}: {exc}") from None
        if r.status_code >= 400:
            raise InvalidInput(f"{shown} answered {r.status_code}: {message(r)}")
        return r

    def get_json(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None}).json()

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body).json()
