"""The answer service on its own: confidence floors, related passages, the judge for engines that
cannot score themselves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import pytest

from qa.answering import AnswerService
from qa.config import Settings
from qa.embeddings import Embedder
from qa.engines.base import Draft, DraftSentence, Source, Task
from qa.models import Article
from qa.services import Services

DRONES = Article(
    id="drones",
    title="Russia launches record drone barrage",
    source="AP",
    published=date(2025, 7, 1),
    text="Russia launched 5,438 drones at Ukraine in June, a monthly record. Air defences downed most of them.",
)


class ScriptedEngine:
    """Cites the first sentence of passage 1, with the confidence it is told to claim."""

    name = "scripted"

    def __init__(self, confidence: float | None) -> None:
        self.confidence = confidence

    def prompt_version(self, task: Task) -> str | None:
        return None

    def identity(self) -> str:
        return self.name

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        text = sources[0].hit.chunk.text.split(". ")[0] + "."
        return Draft(
            sentences=[DraftSentence(text=text, cites=[1], quotes={1: text})],
            engine=self.name,
            confidence=self.confidence,
        )

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        return Draft(abstained=True, engine=self.name)

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
        yield self.answer(question, sources)

    def check_ready(self) -> None:
        return None


class Judge:
    def __init__(self) -> None:
        self.seen: list[Sequence[str]] = []

    def evidence_confidence(self, question: str, sources: Sequence[Source], quotes: Sequence[str]) -> float | None:
        self.seen.append(quotes)
        return 0.42


@pytest.fixture
def services(tmp_path: object, hashing_embedder: Embedder) -> Services:
    svc = Services.from_settings(Settings(data_dir=tmp_path, seed_on_start=False), embedder=hashing_embedder)  # type: ignore[arg-type]
    svc.ingestor.ingest([DRONES])
    return svc


def answers(services: Services, engine: ScriptedEngine, **kw: object) -> AnswerService:
    return AnswerService(services.store, services.retriever, engine, **kw)  # type: ignore[arg-type]


def test_an_answer_below_the_floor_becomes_an_abstention_with_related_passages(services: Services) -> None:
    svc = answers(services, ScriptedEngine(0.3), min_confidence=0.5)
    r = svc.ask("How many drones did Russia launch?")
    assert r.verified.abstained and r.verified.citations == [] and r.confidence == 0.3
    assert "below min_confidence 0.50" in r.verified.notes[-1]
    assert [h.article.id for h in r.related] == ["drones"]
    # The caller's floor wins over the service's.
    r = svc.ask("How many drones did Russia launch?", min_confidence=0.2)
    assert not r.verified.abstained and "5,438" in r.verified.text and r.related == []


def test_an_engine_without_confidence_is_judged_on_the_quotes_it_cites(services: Services) -> None:
    judge = Judge()
    svc = answers(services, ScriptedEngine(None), judge=judge, min_confidence=0.4)
    r = svc.ask("How many drones did Russia launch?")
    assert r.confidence == 0.42 and not r.verified.abstained
    assert judge.seen == [[c.quote for c in r.verified.citations]]
    assert answers(services, ScriptedEngine(None), judge=judge, min_confidence=0.5).ask("drones?").verified.abstained


def test_no_passages_is_an_abstention_with_zero_confidence(services: Services) -> None:
    from qa.models import SearchFilters

    r = answers(services, ScriptedEngine(0.9)).ask("drones", filters=SearchFilters(source=["Nobody"]))
    assert r.verified.abstained and r.confidence == 0.0 and r.related == []
