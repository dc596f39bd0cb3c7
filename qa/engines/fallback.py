"""One engine answering for another when it fails: the configured engine first, the offline one
when that raises :class:`~qa.errors.EngineError` (an endpoint down, a reply that cannot be read).

Every draft says which engine wrote it (``engine``, ``prompt_version``), and a fallback's draft
says why in its notes, so the API, the CLI and the eval runner can tell a fallback from a result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from qa.engines.base import Draft, DraftSentence, Engine, Source, Task, identity_of
from qa.errors import EngineError

log = logging.getLogger(__name__)


def fallback_note(primary: Engine, fallback: Engine, what: str, task: Task) -> str:
    """The note a draft carries when the fallback wrote it (answers, summaries, briefing stories)."""
    verb = "answered" if task == "ask" else "summarized"
    return f"{primary.name} engine {what}; {verb} by {fallback.name}"


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

    @staticmethod
    def _signed(draft: Draft, engine: Engine, task: Task) -> Draft:
        draft.engine = draft.engine or engine.name
        draft.prompt_version = draft.prompt_version or engine.prompt_version(task)
        return draft

    def _falling_back(self, exc: EngineError, task: Task, call: Callable[[Engine], Draft]) -> Draft:
        log.warning("engine %s failed (%s); falling back to %s", self.primary.name, exc, self.fallback.name)
        draft = self._signed(call(self.fallback), self.fallback, task)
        draft.notes.append(fallback_note(self.primary, self.fallback, f"failed ({exc})", task))
        return draft

    def _run(self, task: Task, call: Callable[[Engine], Draft]) -> Draft:
        try:
            return self._signed(call(self.primary), self.primary, task)
        except EngineError as exc:
            return self._falling_back(exc, task, call)

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
            yield self._falling_back(exc, "ask", lambda e: e.answer(question, sources))
