"""FallbackEngine: the configured engine first, the offline one when it fails; and the registry."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.engines.base import Draft, DraftSentence, Engine, Source, Task
from qa.engines.fallback import FallbackEngine, first_usable
from qa.engines.registry import ENGINES, create_engine, engine_names
from qa.errors import EngineError, UnknownEngine
from qa.models import Article
from qa.services import Services


class Scripted:
    """An engine that answers with one sentence, or fails (after streaming ``pieces``)."""

    def __init__(self, name: str, fail: bool = False, pieces: Sequence[DraftSentence] = ()) -> None:
        self.name, self.fail, self.pieces = name, fail, pieces

    def prompt_version(self, task: Task) -> str | None:
        return f"{self.name}-{task}-v1" if self.name == "remote" else None

    def identity(self) -> str:
        return self.name

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

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
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
    said = [DraftSentence(text="Said by remote.", cites=[1])]
    engine = FallbackEngine(Scripted("remote", fail=True, pieces=said), Scripted("offline"))
    out = list(engine.stream_answer("q", []))
    assert out[:1] == said
    final = out[-1]
    assert isinstance(final, Draft) and final.engine == "offline" and "remote engine failed" in final.notes[0]


def test_work_the_caller_finds_unusable_is_done_again_by_the_fallback() -> None:
    """What a briefing does per story: the primary's summary, unless it cannot be verified."""
    engine = FallbackEngine(Scripted("remote"), Scripted("offline"))
    verifiable = first_usable(engine, "briefing", lambda e: e.name, usable=lambda name: name != "remote", unusable="x")
    assert (verifiable.engine.name, verifiable.result) == ("offline", "offline")
    assert verifiable.note == "remote engine x; summarized by offline"
    kept = first_usable(engine, "briefing", lambda e: e.name, usable=lambda name: True)
    assert (kept.result, kept.note) == ("remote", None)
    with pytest.raises(EngineError):  # no fallback configured: the failure is the caller's to report
        first_usable(Scripted("remote", fail=True), "briefing", lambda e: e.summarize(None, []))


def test_an_unknown_engine_is_refused_by_name_with_the_known_ones(tmp_path: Path) -> None:
    """Checked when services are built (settings sit below the engines, so they cannot ask the
    registry), and by `qa serve` before it starts: one line, not a traceback."""
    assert set(ENGINES.builtins) <= set(engine_names())
    refused = r"unknown engine 'banana' in QA_ENGINE \(known: extractive, llm"
    with pytest.raises(UnknownEngine, match=refused):
        Services.from_settings(Settings(engine="banana", data_dir=tmp_path, seed_on_start=False))
    with pytest.raises(UnknownEngine, match=refused):
        create_engine("banana", Settings(), object())  # type: ignore[arg-type]
    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", "serve", "--no-seed"],
        env={**os.environ, "QA_ENGINE": "banana", "QA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.startswith("error: unknown engine 'banana' in QA_ENGINE"), r.stderr
    assert len(r.stderr.splitlines()) == 1


PLUGIN = '''
from qa.engines.base import Draft, DraftSentence


class FirstSentence:
    """Answers with the first passage's first sentence: enough to show a plugin engine is used."""

    name = "first-sentence"

    def prompt_version(self, task):
        return None

    def check_ready(self):
        pass

    def answer(self, question, sources):
        if not sources:
            return Draft(engine="", abstained=True)
        first = sources[0].hit.chunk.text.split(". ")[0].rstrip(".") + "."
        return Draft(engine="", sentences=[DraftSentence(text=first, cites=[sources[0].n])])

    def summarize(self, topic, sources, max_sentences=5):
        return self.answer(topic or "", sources)

    def stream_answer(self, question, sources):
        yield self.answer(question, sources)


def make(settings, embedder):
    return FirstSentence()
'''


def test_a_plugin_package_adds_an_engine_through_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, hashing_embedder: Embedder
) -> None:
    """An installed distribution that declares a ``qa.engines`` entry point is an engine by name:
    QA_ENGINE accepts it, and answers come from it through the usual citation checks."""
    site = tmp_path / "site"
    (site / "qa_first_sentence").mkdir(parents=True)
    (site / "qa_first_sentence" / "__init__.py").write_text(PLUGIN)
    info = site / "qa_first_sentence-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qa-first-sentence\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[qa.engines]\nfirst-sentence = qa_first_sentence:make\n")
    monkeypatch.syspath_prepend(str(site))
    ENGINES.refresh()  # entry points are read once per process
    request.addfinalizer(ENGINES.refresh)

    assert "first-sentence" in engine_names()
    settings = Settings(engine="first-sentence", data_dir=tmp_path / "data", seed_on_start=False)
    services = Services.from_settings(settings, embedder=hashing_embedder)
    services.ingestor.ingest(
        [
            Article(
                id="okapi",
                title="Okapi calf born",
                text="An okapi calf was born at the zoo on Tuesday. It is well.",
                published=date(2025, 7, 1),
            )
        ]
    )
    result = services.answers.ask("Was an okapi calf born?")
    assert result.engine == "first-sentence" and not result.verified.abstained
    assert result.verified.text.startswith("An okapi calf was born at the zoo on Tuesday.")
    assert [c.article_id for c in result.verified.citations] == ["okapi"]
    # Written before engines had identity(): its briefings are cached under its name, not refused.
    assert services.new_briefing_service().build(date(2025, 7, 1)).sections
