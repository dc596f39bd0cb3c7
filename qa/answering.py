"""Questions and summaries: retrieve, let an engine draft, verify citations, time each stage."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from qa import logs
from qa.citations import ABSTAIN_MESSAGE, VerifiedAnswer, verified_sentence, verify
from qa.engines.base import Draft, Engine, Source, Task, number_sources
from qa.engines.fallback import with_fallback
from qa.errors import EngineError, InvalidInput, NotFound
from qa.models import Hit, SearchFilters
from qa.normalize import normalize_text
from qa.retrieval import Retriever
from qa.store.protocol import DocumentStore

log = logging.getLogger(__name__)


@dataclass
class Result:
    verified: VerifiedAnswer
    engine: str
    prompt_version: str | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    confidence: float | None = None
    # On abstention: the closest passages, so a reader can read on (no claims, no citations).
    related: list[Hit] = field(default_factory=list)


class ConfidenceJudge(Protocol):
    """Scores evidence: the calibrated confidence that these quotes answer the question."""

    def evidence_confidence(self, question: str, sources: Sequence[Source], quotes: Sequence[str]) -> float | None: ...


class _Clock:
    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks[stage] = round((now - self.last) * 1000, 2)
        self.last = now

    def done(self) -> dict[str, float]:
        self.marks["total"] = round((time.perf_counter() - self.t0) * 1000, 2)
        logs.record_stages(self.marks)
        return self.marks


class AnswerService:
    """Retrieves, runs the engine (a :class:`~qa.engines.fallback.FallbackEngine` when the
    configured one may fail), verifies, and decides on confidence."""

    def __init__(
        self,
        store: DocumentStore,
        retriever: Retriever,
        engine: Engine,
        fallback: Engine | None = None,
        *,
        default_k: int = 5,
        min_support: float = 0.6,
        min_confidence: float = 0.0,
        related: int = 3,
        judge: ConfidenceJudge | None = None,
    ) -> None:
        self.store = store
        self.retriever = retriever
        # A fallback given apart (tests, embedding code) is wired the way Services wires it.
        self.engine = with_fallback(engine, fallback)
        self.default_k = default_k
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.related = related
        self.judge = judge

    def _article_text(self, article_id: str) -> str | None:
        a = self.store.get_article(article_id)
        return a.text if a else None

    def _nothing(self) -> Draft:
        """The draft for a question no passage matches: an abstention, confidence 0."""
        return Draft(abstained=True, engine=self.engine.name, confidence=0.0)

    def _finish(
        self,
        draft: Draft,
        task: Task,
        sources: Sequence[Source],
        clock: _Clock,
        question: str | None = None,
        min_confidence: float | None = None,
    ) -> Result:
        clock.mark("generation")
        verified = verify(draft, sources, self._article_text, min_support=self.min_support)
        clock.mark("verification")
        confidence = draft.confidence
        if task == "ask" and confidence is None and question and not verified.abstained and self.judge is not None:
            # An engine that cannot score itself (the LLM) gets the reader's confidence in the
            # evidence it cites.
            confidence = self.judge.evidence_confidence(question, sources, [c.quote for c in verified.citations])
        floor = self.min_confidence if min_confidence is None else min_confidence
        if task == "ask" and not verified.abstained and confidence is not None and confidence < floor:
            note = f"confidence {confidence:.2f} is below min_confidence {floor:.2f}"
            verified = VerifiedAnswer(
                text=ABSTAIN_MESSAGE, abstained=True, dropped=len(draft.sentences), notes=[*verified.notes, note]
            )
        related: list[Hit] = []
        if task == "ask" and verified.abstained:
            seen: set[str] = set()
            for s in sources:  # one passage per article, best first
                if s.hit.article.id not in seen and len(related) < self.related:
                    seen.add(s.hit.article.id)
                    related.append(s.hit)
        return Result(
            verified=verified,
            engine=draft.engine or self.engine.name,
            prompt_version=draft.prompt_version or self.engine.prompt_version(task),
            timings_ms=clock.done(),
            hits=[s.hit for s in sources],
            confidence=confidence if task == "ask" else None,
            related=related,
        )

    def _retrieve(
        self, question: str, k: int | None, filters: SearchFilters | None, as_of: date | None, clock: _Clock
    ) -> tuple[str, list[Source]]:
        question = normalize_text(question)
        if not question.strip():  # zero-width characters only, say: nothing is asked
            raise InvalidInput("it is blank (only spaces or invisible characters)", field="question")
        hits = self.retriever.search(question, k=k or self.default_k, filters=filters, as_of=as_of)
        clock.mark("retrieval")
        return question, number_sources(hits)

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: date | None = None,
    ) -> Result:
        """``min_confidence``: abstain below it (default: the service's); ``as_of``: the day asked
        from, which makes articles published shortly before it likelier to be retrieved."""
        clock = _Clock()
        question, sources = self._retrieve(question, k, filters, as_of, clock)
        if not sources:
            return self._finish(self._nothing(), "ask", sources, clock)
        draft = self.engine.answer(question, sources)
        return self._finish(draft, "ask", sources, clock, question, min_confidence)

    def stream_ask(
        self,
        question: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        min_confidence: float | None = None,
        as_of: date | None = None,
    ) -> Iterator[str | Result]:
        """Each sentence as soon as it passes the citation checks, then the :class:`Result`.

        A sentence that fails is never shown. The Result is what counts: it may still abstain,
        when the answer's confidence falls below the floor, or hold another engine's answer when
        the first failed midway."""
        clock = _Clock()
        question, sources = self._retrieve(question, k, filters, as_of, clock)
        if not sources:
            yield self._finish(self._nothing(), "ask", sources, clock)
            return
        draft: Draft | None = None
        for piece in self.engine.stream_answer(question, sources):
            if isinstance(piece, Draft):
                draft = piece
            elif text := verified_sentence(piece, sources, self._article_text, min_support=self.min_support):
                yield text + " "
        if draft is None:
            raise EngineError(f"{self.engine.name} engine ended its stream without an answer")
        yield self._finish(draft, "ask", sources, clock, question, min_confidence)

    def summarize_article(self, article_id: str) -> Result:
        clock = _Clock()
        meta = self.retriever.article_meta(article_id)
        records = self.store.article_chunks(article_id)
        if meta is None or not records:
            raise NotFound(f"no article with id {article_id!r}")
        hits = [Hit(chunk=r.chunk, article=meta, score=1.0) for r in records]
        clock.mark("retrieval")
        sources = number_sources(hits)
        return self._finish(self.engine.summarize(None, sources), "summarize", sources, clock)

    def summarize_query(self, query: str, filters: SearchFilters | None = None, k: int = 8) -> Result:
        clock = _Clock()
        hits = self.retriever.search(query, k=k, filters=filters)
        clock.mark("retrieval")
        sources = number_sources(hits)
        if not sources:
            return self._finish(Draft(abstained=True, engine=self.engine.name), "summarize", sources, clock)
        return self._finish(self.engine.summarize(query, sources), "summarize", sources, clock)
