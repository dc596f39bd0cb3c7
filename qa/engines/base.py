"""The engine boundary. An engine drafts; :mod:`qa.citations` verifies; only verified text ships.

Engines see numbered :class:`Source` passages and return a :class:`Draft` whose sentences cite
those numbers. They never build the final citations themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from qa.models import Hit

Task = Literal["ask", "summarize", "briefing"]


class Source(BaseModel):
    """Passage number ``n`` as shown to the engine."""

    n: int
    hit: Hit


class DraftSentence(BaseModel):
    text: str = Field(description="One sentence of the answer, without citation markers.")
    cites: list[int] = Field(default_factory=list, description="Source numbers that support it.")
    quotes: dict[int, str] = Field(
        default_factory=dict,
        description="Optional verbatim quote per cited source; verified, else chosen in code.",
    )


class Draft(BaseModel):
    sentences: list[DraftSentence] = Field(default_factory=list)
    abstained: bool = False
    engine: str
    prompt_version: str | None = None
    notes: list[str] = Field(default_factory=list, description="e.g. why an engine fell back.")
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="Calibrated probability that the answer is right, if the engine knows."
    )


@runtime_checkable
class Engine(Protocol):
    name: str

    def prompt_version(self, task: Task) -> str | None: ...

    def identity(self) -> str:
        """What the engine writes with, for caches of its output (briefings): at least its name, and
        whatever else changes what it writes (an LLM's model and prompt versions)."""
        ...

    def answer(self, question: str, sources: Sequence[Source]) -> Draft: ...

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft: ...

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
        """Each sentence once it is complete (with its citations, so it can be verified before
        anyone sees it), then the final :class:`Draft` as the last item."""
        ...

    def check_ready(self) -> None:
        """Raise :class:`~qa.errors.EngineError` if the engine cannot answer now (e.g. its endpoint is down)."""
        ...


def identity_of(engine: Engine) -> str:
    """The engine's :meth:`Engine.identity`. A plugin engine written before ``identity`` was part
    of the protocol is known by its name: its briefings are cached under that, not refused."""
    identity = getattr(engine, "identity", None)
    return str(identity()) if callable(identity) else engine.name


def number_sources(hits: Sequence[Hit]) -> list[Source]:
    return [Source(n=i, hit=h) for i, h in enumerate(hits, start=1)]
