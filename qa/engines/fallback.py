"""One engine answering for another when it fails: the configured engine first, the offline one
when that raises :class:`~qa.errors.EngineError` (an endpoint down, a reply that cannot be read)
or, where the caller says what is usable, when its work is not (a briefing story it could not
write verifiably).

This module is the one place that falls back: answers, summaries and briefing stories alike.
Every draft says which engine wrote it (``engine``, ``prompt_version``), and a fallback's draft
says why in its notes, so the API, the CLI and the eval runner can tell a fallback from a result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from qa.engines.base import Draft, DraftSentence, Engine, Source, Task, identity_of
from qa.errors import EngineError

log = logging.getLogger(__name__)

T = TypeVar("T")


def fallback_note(primary: Engine, fallback: Engine, what: str, task: Task) -> str:
    """The note a draft carries when the fallback wrote it (answers, summaries, briefing stories)."""
    verb = "answered" if task == "ask" else "summarized"
    return f"{primary.name} engine {what}; {verb} by {fallback.name}"


@dataclass(frozen=True)
class Written(Generic[T]):
    """What an engine wrote, which engine wrote it, and the fallback note when it was not the first."""

    engine: Engine
    result: T
    note: str | None = None


class FallbackEngine:
    def __init__(self, primary: Engine, fallback: Engine) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    def prompt_version(self, task: Task) -> str | None:
        return self.primary.prompt_version(task)

    def identity(self) -> str:
        return identity_of(self.primary)

    def check_ready(self) -> None:
        self.primary.check_ready()  # the fallback keeps answers coming, but the engine asked for is down

    def first_usable(
        self,
        task: Task,
        call: Callable[[Engine], T],
        usable: Callable[[T], bool] | None = None,
        unusable: str = "gave nothing usable",
    ) -> Written[T]:
        """``call`` on the primary; on the fallback if the primary raises an engine error, or if
        ``usable`` says no to what it wrote (``unusable`` then words the note)."""
        try:
            result = call(self.primary)
        except EngineError as exc:
            return self._fall_back(task, call, f"failed ({exc})")
        if usable is not None and not usable(result):
            return self._fall_back(task, call, unusable)
        return Written(self.primary, result)

    def _fall_back(self, task: Task, call: Callable[[Engine], T], why: str) -> Written[T]:
        log.warning("engine %s %s; falling back to %s", self.primary.name, why, self.fallback.name)
        return Written(self.fallback, call(self.fallback), fallback_note(self.primary, self.fallback, why, task))

    @staticmethod
    def _signed(draft: Draft, engine: Engine, task: Task) -> Draft:
        draft.engine = draft.engine or engine.name
        draft.prompt_version = draft.prompt_version or engine.prompt_version(task)
        return draft

    @staticmethod
    def _noted(written: Written[Draft]) -> Draft:
        if written.note:
            written.result.notes.append(written.note)
        return written.result

    def _run(self, task: Task, call: Callable[[Engine], Draft]) -> Draft:
        return self._noted(self.first_usable(task, lambda e: self._signed(call(e), e, task)))

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        return self._run("ask", lambda e: e.answer(question, sources))

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        return self._run("summarize", lambda e: e.summarize(topic, sources, max_sentences))

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
        """The primary's pieces as they come; if it fails, even midway, the fallback's answer."""
        try:
            for piece in self.primary.stream_answer(question, sources):
                yield self._signed(piece, self.primary, "ask") if isinstance(piece, Draft) else piece
        except EngineError as exc:
            answer = lambda e: self._signed(e.answer(question, sources), e, "ask")  # noqa: E731
            yield self._noted(self._fall_back("ask", answer, f"failed ({exc})"))


def with_fallback(engine: Engine, fallback: Engine | None) -> Engine:
    """``engine`` backed by ``fallback``, where one is given (the wiring that tests and embedding
    code do by hand, the same as :class:`qa.services.Services` does). An engine already backed is
    not wrapped again: one layer decides, and :func:`primary_of` sees the engine asked for."""
    if fallback is None or isinstance(engine, FallbackEngine):
        return engine
    return FallbackEngine(engine, fallback)


def first_usable(
    engine: Engine,
    task: Task,
    call: Callable[[Engine], T],
    usable: Callable[[T], bool] | None = None,
    unusable: str = "gave nothing usable",
) -> Written[T]:
    """:meth:`FallbackEngine.first_usable` for any engine: one with no fallback simply runs."""
    if isinstance(engine, FallbackEngine):
        return engine.first_usable(task, call, usable, unusable)
    return Written(engine, call(engine))


def primary_of(engine: Engine) -> Engine:
    """The engine asked for, behind its fallback if it has one: what decides how work is laid out
    for it (a briefing's sources are whole chunks for an engine that writes its own sections)."""
    return engine.primary if isinstance(engine, FallbackEngine) else engine
