"""A scripted stand-in for ``openai.OpenAI``: no network, records every request.

``FakeOpenAI(["reply 1", "reply 2", SomeError(...)])`` answers each chat completion with the next
item (raising it if it is an exception); a callable item gets the request's messages and returns
the reply, so a test can script a model that "obeys" whatever is in its context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

Script = str | BaseException | Callable[[list[dict[str, str]]], str]


@dataclass
class FakeOpenAI:
    script: list[Script]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))
        self.models = SimpleNamespace(list=lambda: SimpleNamespace(data=[SimpleNamespace(id="fake")]))

    def with_options(self, **_: Any) -> FakeOpenAI:
        return self

    def _next(self, messages: list[dict[str, str]]) -> str:
        if not self.script:
            raise AssertionError("FakeOpenAI: the script has no more replies")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item(messages) if callable(item) else item

    def _create(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs)
        content = self._next(kwargs["messages"])
        if kwargs.get("stream"):
            return self._stream(content)
        message = SimpleNamespace(content=content, role="assistant")
        return SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason="stop")])

    @staticmethod
    def _stream(content: str) -> Iterator[Any]:
        for i in range(0, len(content), 7):
            delta = SimpleNamespace(content=content[i : i + 7])
            yield SimpleNamespace(choices=[SimpleNamespace(delta=delta)])
