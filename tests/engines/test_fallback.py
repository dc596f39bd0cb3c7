"""FallbackEngine: the configured engine first, the offline one when it fails; and the registry."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence

import pytest

from qa.config import Settings
from qa.engines.base import Draft, DraftSentence, Engine, Source, Task
from qa.engines.fallback import FallbackEngine
from qa.engines.registry import ENGINES, create_engine
from qa.errors import EngineError


class Scripted:
    """An engine that answers with one sentence, or fails (after streaming ``pieces``)."""

    def __init__(self, name: str, fail: bool = False, pieces: Sequence[str] = ()) -> None:
        self.name, self.fail, self.pieces = name, fail, pieces

    def prompt_version(self, task: Task) -> str | None:
        return f"{self.name}-{task}-v1" if self.name == "remote" else None

    def check_ready(self) -> None:
        if self.fail:
            raise EngineError(f"{self.name} is down")

    def _draft(self) -> Draft:
        if self.fail:
            raise EngineError("the endpoint refused the connection")
        return Draft(engine="", sentences=[DraftSentence(text=f"Said by {self.name}.", cites=[1])])

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        return self._draft()

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        return self._draft()

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[str | Draft]:
        yield from self.pieces
        yield self._draft()


def test_the_primary_answers_and_signs_its_draft() -> None:
    engine = FallbackEngine(Scripted("remote"), Scripted("offline"))
    assert isinstance(engine, Engine) and engine.name == "remote"
    draft = engine.answer("q", [])
    assert (draft.engine, draft.prompt_version, draft.notes) == ("remote", "remote-ask-v1", [])


@pytest.mark.parametrize("task", ["ask", "summarize"])
def test_a_failure_is_answered_by_the_fallback_which_says_so(task: str) -> None:
    engine = FallbackEngine(Scripted("remote", fail=True), Scripted("offline"))
    draft = engine.answer("q", []) if task == "ask" else engine.summarize(None, [])
    assert draft.engine == "offline" and draft.prompt_version is None  # not the primary's prompts
    assert draft.sentences[0].text == "Said by offline."
    verb = "answered" if task == "ask" else "summarized"
    assert draft.notes == [f"remote engine failed (the endpoint refused the connection); {verb} by offline"]
    with pytest.raises(EngineError, match="remote is down"):
        engine.check_ready()  # readiness is the configured engine's


def test_a_stream_that_fails_midway_ends_with_the_fallbacks_answer() -> None:
    engine = FallbackEngine(Scripted("remote", fail=True, pieces=["Said ", "by "]), Scripted("offline"))
    out = list(engine.stream_answer("q", []))
    assert out[:2] == ["Said ", "by "]
    final = out[-1]
    assert isinstance(final, Draft) and final.engine == "offline" and "remote engine failed" in final.notes[0]


def test_the_registry_builds_every_engine_the_settings_can_name() -> None:
    names = typing.get_args(Settings.model_fields["engine"].annotation)
    assert set(names) == set(ENGINES)
    with pytest.raises(ValueError, match="unknown engine 'banana'"):
        create_engine("banana", Settings(), object())  # type: ignore[arg-type]
