"""A scripted OpenAI-compatible endpoint behind a real ``openai.OpenAI`` client: no network.

``FakeOpenAI(["reply 1", "reply 2", SomeError(...)])`` is an ``openai.OpenAI`` whose HTTP
transport answers each chat completion with the next item; a callable item gets the request's
messages and returns the reply, so a test can script a model that "obeys" whatever is in its
context. The fake sits below the SDK (``MockTransport``), so the SDK builds the requests
and parses the replies, streamed or not, as it would from a real server: a change in the SDK
shows up here.

An exception in the script is what the transport does instead of answering: an
``openai.APIStatusError`` becomes an HTTP reply with its status, an ``openai.APITimeoutError`` a
read timeout, anything else a failed connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai

try:  # the SDK's own HTTP library: httpx2 from openai 3, httpx before
    import httpx2 as http
except ImportError:  # pragma: no cover - older SDKs
    import httpx as http  # type: ignore[no-redef]

Script = str | BaseException | Callable[[list[dict[str, str]]], str]

_STREAM_PIECE = 7  # characters per streamed delta: several deltas for any reply


class FakeOpenAI(openai.OpenAI):
    def __init__(self, script: list[Script]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []  # each chat request's JSON body, as sent
        super().__init__(
            api_key="fake",
            base_url="http://fake-llm.test/v1",
            max_retries=0,
            http_client=http.Client(transport=http.MockTransport(self._handle)),
        )

    def with_options(self, **_: Any) -> FakeOpenAI:
        return self  # one scripted endpoint, whatever the per-call options

    def _handle(self, request: http.Request) -> http.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):
            data = [{"id": "fake", "object": "model", "created": 0, "owned_by": "test"}]
            return http.Response(200, json={"object": "list", "data": data})
        body = json.loads(request.content)
        self.requests.append(body)
        if not self.script:
            raise AssertionError("FakeOpenAI: the script has no more replies")
        item = self.script.pop(0)
        if isinstance(item, openai.APIStatusError):
            return http.Response(item.status_code, json={"error": {"message": item.message}})
        if isinstance(item, openai.APITimeoutError):
            raise http.ReadTimeout("scripted timeout", request=request)
        if isinstance(item, BaseException):
            raise http.ConnectError(str(item) or type(item).__name__, request=request)
        content = item(body["messages"]) if callable(item) else item
        if body.get("stream"):
            return http.Response(200, headers={"content-type": "text/event-stream"}, content=_sse(content))
        return http.Response(200, json=_completion(content))


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "fake-completion",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }


def _sse(content: str) -> bytes:
    events = []
    pieces = [content[i : i + _STREAM_PIECE] for i in range(0, len(content), _STREAM_PIECE)]
    for n, piece in enumerate(pieces):
        chunk = {
            "id": "fake-completion",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "fake",
            "choices": [
                {"index": 0, "delta": {"content": piece}, "finish_reason": "stop" if n == len(pieces) - 1 else None}
            ],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()
