"""The offline, deterministic engine: answers and summaries made of verbatim source sentences.

Answers: every usable sentence of the retrieved passages, and every pair of sentences that read
on from each other, is a candidate (:mod:`.candidates`); each is described by features
(:mod:`.features`) and scored by a trained ranker (:mod:`.ranker`). The answer is the asked-for
value cut from the best candidate (:mod:`.short`), then the candidate itself, each cited. Its
``confidence`` is the ranker's calibrated probability; the answer service abstains below the
caller's ``min_confidence``.

Summaries: see :mod:`.summaries`.

Everything is deterministic: ties break by reading order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from qa.embeddings import Embedder
from qa.engines.base import Draft, DraftSentence, Source, Task
from qa.engines.extractive.candidates import Candidate, build_candidates
from qa.engines.extractive.cross_encoder import CrossEncoder, default_cross_encoder
from qa.engines.extractive.features import CHEAP, FULL, SIGNALS, cheap_features, second_stage, signals_needed
from qa.engines.extractive.question import Question, read_question
from qa.engines.extractive.ranker import ReaderModel, default_model
from qa.engines.extractive.sentences import Sentence, passage_sentences
from qa.engines.extractive.short import short_answer
from qa.engines.extractive.summaries import summarize
from qa.prose import leans_on_previous
from qa.text import normalize_ws

# Sentences read per question: the top passages hold far fewer than this.
MAX_CANDIDATE_SENTENCES = 60


@dataclass
class Reading:
    """A question read against its passages: candidates, their features and, once scored, logits."""

    question: Question
    sentences: list[Sentence]
    candidates: list[Candidate]
    cheap: np.ndarray  # one CHEAP row per candidate
    # Per candidate, its best sentence's score by each stage-2 signal ("similarity": the
    # bi-encoder's cosine, "cross": the cross-encoder's log-odds); NaN where not scored.
    signals: dict[str, np.ndarray]

    def rows(self, features: tuple[str, ...], which: Sequence[int]) -> np.ndarray:
        """Stage-2 rows of the candidates ``which`` (gaps taken among them)."""
        idx = list(which)
        return second_stage(features, self.cheap[idx], {k: v[idx] for k, v in self.signals.items()})


def answer_first(q: Question, sentences: Sequence[Sentence], value_at: int | None) -> list[Sentence]:
    """A pair's sentences, the one that answers first: the one the value was cut from, else the
    one more about the question ("What did the mayor call the vote?": the mayor's words, then the
    vote). Reading order stays when that sentence leans on the one before it ("It employs …").
    Under a value, the other sentence stays only if it adds a word of the question: the value's
    own sentence supports it, and the answer stays short."""
    if len(sentences) != 2:
        return list(sentences)
    first = value_at if value_at is not None else max((0, 1), key=lambda i: (q.coverage(sentences[i].terms), -i))
    other = sentences[1 - first]
    if value_at is not None and not (other.terms & q.weight.keys()) - sentences[first].terms:
        return [sentences[first]]
    if first == 0 or leans_on_previous(sentences[1].text):
        return list(sentences)
    return [sentences[1], sentences[0]]


def presented(q: Question, best: Candidate) -> tuple[tuple[str, Sentence] | None, list[Sentence]]:
    """What an answer shows of its best candidate: the asked-for value (and the sentence it was cut
    from, which it cites), then the candidate's sentences in the order :func:`answer_first` gives,
    each whole and once (the two of a pair may be halves of one sentence)."""
    found = short_answer(q, [s.text for s in best.sentences])
    value = (found[0], best.sentences[found[1]]) if found else None
    shown: dict[str, Sentence] = {}
    for s in answer_first(q, best.sentences, found[1] if found else None):
        shown.setdefault(s.whole, s)
    return value, list(shown.values())


class ExtractiveEngine:
    name = "extractive"
    # The short answer, then the best candidate: one sentence or a pair.
    max_sentences = 3

    def __init__(
        self,
        embedder: Embedder,
        *,
        model: ReaderModel | None = None,
        cross_encoder: CrossEncoder | None = None,
        max_candidates: int = MAX_CANDIDATE_SENTENCES,
        redundancy: float = 0.8,
    ) -> None:
        self.embedder = embedder
        self.model = model or default_model()
        self._cross_encoder = cross_encoder
        self.max_candidates = max_candidates
        self.redundancy = redundancy

    def prompt_version(self, task: Task) -> str | None:
        return None

    def identity(self) -> str:
        return self.name  # no prompts; what it writes changes only with the code (the cache's version)

    def check_ready(self) -> None:
        return None  # in-process and offline: ready once constructed

    # -- answers --------------------------------------------------------------------------------

    def read(self, question: str, sources: Sequence[Source]) -> Reading:
        """Candidates and their cheap features; no stage-2 signal yet (see :meth:`score_candidates`)."""
        sents = passage_sentences(sources, self.max_candidates)
        q = read_question(question, sents)
        cands = build_candidates(sents)
        blank = {s: np.full(len(cands), np.nan) for s in SIGNALS}
        return Reading(q, sents, cands, cheap_features(q, sents, cands), blank)

    @property
    def cross_encoder(self) -> CrossEncoder:
        if self._cross_encoder is None:
            self._cross_encoder = default_cross_encoder()
        return self._cross_encoder

    def score_candidates(self, r: Reading, which: Sequence[int], signals: Sequence[str] | None = None) -> None:
        """Fill in the stage-2 signals (default: those the model reads) of the candidates ``which``:
        one model call per signal for all their sentences; a candidate gets its best sentence's."""
        rows = list(dict.fromkeys(i for c in which for i in r.candidates[c].idx))
        texts = [r.sentences[i].text for i in rows]
        for signal in signals_needed(self.model.stage2.features) if signals is None else signals:
            if signal == "similarity":
                vecs = self.embedder.embed([r.question.text, *texts])
                per_sentence = vecs[1:] @ vecs[0]
            else:
                per_sentence = self.cross_encoder.score(r.question.text, texts)
            by_row = dict(zip(rows, per_sentence.tolist(), strict=True))
            for c in which:
                r.signals[signal][c] = max(by_row[i] for i in r.candidates[c].idx)

    def rank(self, question: str, sources: Sequence[Source]) -> tuple[Reading, list[int], np.ndarray]:
        """The reading, the candidates stage 2 scored (best first) and their logits."""
        r = self.read(question, sources)
        if not r.candidates or not r.question.terms:
            return r, [], np.zeros(0)
        first = self.model.stage1.logits(r.cheap)
        top = sorted(range(len(first)), key=lambda i: (-round(float(first[i]), 6), r.candidates[i].idx))
        top = top[: self.model.embed_top]
        self.score_candidates(r, top)
        second = self.model.stage2.logits(r.rows(self.model.stage2.features, top))
        order = sorted(range(len(top)), key=lambda k: (-round(float(second[k]), 6), r.candidates[top[k]].idx))
        return r, [top[k] for k in order], np.asarray([second[k] for k in order])

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        r, ranked, logits = self.rank(question, sources)
        if not ranked:
            return Draft(abstained=True, engine=self.name, confidence=0.0)
        # Each quoted whole (the ranker's split may cut one), and so is its citation's quote.
        cite = lambda text, s: DraftSentence(text=text, cites=[s.source.n], quotes={s.source.n: s.whole})  # noqa: E731
        value, shown = presented(r.question, r.candidates[ranked[0]])
        sentences = ([cite(*value)] if value else []) + [cite(s.whole, s) for s in shown]
        return Draft(sentences=sentences, engine=self.name, confidence=self.model.confidence(float(logits[0])))

    def evidence_confidence(self, question: str, sources: Sequence[Source], quotes: Sequence[str]) -> float | None:
        """How sure the reader is that the quoted sentences answer the question: its calibrated
        confidence in the best candidate made of them (None if no candidate is among them)."""
        wanted = [normalize_ws(q) for q in quotes]
        r = self.read(question, sources)
        chosen = [
            i
            for i, c in enumerate(r.candidates)
            if all(any(normalize_ws(s.text) in q for q in wanted) for s in c.sentences)
        ][: self.model.embed_top]
        if not chosen or not r.question.terms:
            return None
        self.score_candidates(r, chosen)
        logits = self.model.stage2.logits(r.rows(self.model.stage2.features, chosen))
        return self.model.confidence(float(logits.max()))

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
        draft = self.answer(question, sources)
        yield from draft.sentences
        yield draft

    def explain(self, question: str, sources: Sequence[Source]) -> list[dict[str, object]]:
        """The scored candidates, best first, with their features: for debugging and calibration."""
        r, ranked, logits = self.rank(question, sources)
        # Only the ranked candidates were scored: the gaps are taken among them, as ranked.
        names = self.model.stage2.features
        full = r.rows(names, ranked)
        return [
            {
                "text": r.candidates[c].text,
                "logit": round(float(z), 4),
                "confidence": self.model.confidence(float(z)),
                "features": dict(zip(names, map(float, row), strict=True)),
            }
            for c, z, row in zip(ranked, logits, full, strict=True)
        ]

    # -- summaries ------------------------------------------------------------------------------

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        picked = summarize(self.embedder, topic, sources, max_sentences, self.redundancy)
        if not picked:
            return Draft(abstained=True, engine=self.name)
        return Draft(
            sentences=[DraftSentence(text=s.text, cites=[s.source.n], quotes={s.source.n: s.text}) for s in picked],
            engine=self.name,
        )


__all__ = ["CHEAP", "FULL", "ExtractiveEngine", "Reading"]
