"""The offline, deterministic engine: answers and summaries made of verbatim source sentences.

Answers: every sentence of the retrieved passages is scored against the question by meaning
(embedding cosine), by IDF-weighted coverage of the question's terms, and by whether it holds
the kind of thing asked for (a number for "how many", a date for "when", a name for "who").
The best one or two non-redundant sentences form the answer. It abstains unless the best
sentence covers most of the question's specific terms, is close in meaning, holds the asked-for
kind of thing, and does not swap the roles of the question's subject (Russia's drones are not
an answer about Ukraine's).

Summaries: central sentences (close to the material's centroid, and to the topic if one is
given), chosen with MMR so no two say the same thing, shown in reading order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from qa.embeddings import Embedder
from qa.engines.base import Draft, DraftSentence, Source, Task
from qa.lexical import tokenize
from qa.text import normalize_ws, sentence_spans

# Words that shape a question but say nothing about its topic.
_QUESTION_WORDS = set(
    tokenize(
        "how many much who whom whose what which when where why did does do is are was were has have "
        "had will would can could according say said tell name kind type"
    )
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?"
    r"|millions?|billions?|half|several"
)
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_KINDS: dict[str, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I),
    "date": re.compile(rf"\b(?:{_MONTHS}|{_DAYS}|\d{{4}}|yesterday|today|tonight|last (?:week|month|year)|ago)\b"),
    "person": re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ -][A-Z][a-z'’-]+)+"),
    "place": re.compile(r"\b(?:in|at|near|from|of|to)\s+(?:the\s+)?[A-Z][a-z]+|\b(?:miles|kilometers|km)\b"),
}
_ASKS = [
    (
        "number",
        re.compile(
            r"^\s*(how (many|much|far|long|old|big|large)|what (percentage|share|number|amount|"
            r"proportion|total)|what is the (number|total|amount|cost|price))\b",
            re.I,
        ),
    ),
    ("date", re.compile(r"^\s*(when|what (year|day|date|time|month))\b", re.I)),
    ("person", re.compile(r"^\s*(who|whom|whose)\b", re.I)),
    ("place", re.compile(r"^\s*(where|in what (city|country|region|place))\b", re.I)),
]
# "How many drones did Ukraine launch ..." -> subject "Ukraine", verb "launch".
_SUBJECT_VERB = re.compile(
    r"\b(?:did|does|do|has|have|had|will|would)\s+(?:the\s+)?(?P<subj>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)\s+"
    r"(?P<verb>[a-z]+)"
)


_ANAPHOR = re.compile(r"^(?:This|That|These|Those|It|He|She|They|His|Her|Their|Its|Such)\b")


def asked_kind(question: str) -> str | None:
    return next((kind for kind, pat in _ASKS if pat.search(question)), None)


def holds_kind(kind: str | None, sentence: str) -> bool:
    return kind is None or bool(_KINDS[kind].search(sentence))


def roles_swapped(question: str, sentence: str) -> bool:
    """True if the question's subject appears in the sentence only after the asked-about verb."""
    m = _SUBJECT_VERB.search(question)
    if not m:
        return False
    subj, verb = m["subj"].lower(), tokenize(m["verb"])
    if not verb:
        return False
    low = sentence.lower()
    subj_at = low.find(subj)
    verb_at = next((w.start() for w in re.finditer(r"[a-z]+", low) if tokenize(w.group()) == verb), -1)
    return subj_at >= 0 and verb_at >= 0 and subj_at > verb_at


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if len(words) < 4 or len(sentence) > 600:
        return False
    letters = [c for c in sentence if c.isalpha()]
    return bool(letters) and sum(c.islower() for c in letters) / len(letters) > 0.5


@dataclass
class _Candidate:
    source: Source
    text: str
    rank: int
    order: tuple[int, int]  # (source number, offset in the chunk): reading order


def _candidates(sources: Sequence[Source]) -> list[_Candidate]:
    seen: set[str] = set()
    out: list[_Candidate] = []
    for rank, src in enumerate(sources, start=1):
        chunk = src.hit.chunk.text
        for s, e in sentence_spans(chunk):
            text = chunk[s:e]
            key = normalize_ws(text).lower()
            if key in seen or not _usable(text):
                continue
            seen.add(key)
            out.append(_Candidate(src, text, rank, (src.n, s)))
    return out


class ExtractiveEngine:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_sentences: int = 2,
        min_coverage: float = 0.5,
        min_similarity: float = 0.3,
        max_candidates: int = 48,
        redundancy: float = 0.8,
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        # Abstention: the best sentence must cover this share of the question's IDF-weighted
        # terms AND be this close in meaning (cosine). Calibrated on the eval suite's cases.
        self.min_coverage = min_coverage
        self.min_similarity = min_similarity
        self.max_candidates = max_candidates
        self.redundancy = redundancy

    def prompt_version(self, task: Task) -> str | None:
        return None

    # -- answers --------------------------------------------------------------------------------

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        chosen = self._select_answer(question, sources)
        return self._draft(chosen)

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[str | Draft]:
        draft = self.answer(question, sources)
        for s in draft.sentences:
            yield s.text + " "
        yield draft

    def _select_answer(self, question: str, sources: Sequence[Source]) -> list[_Candidate]:
        cands = _candidates(sources)
        q_terms = [t for t in dict.fromkeys(tokenize(question)) if t not in _QUESTION_WORDS]
        if not cands or not q_terms:
            return []
        tokens = [set(tokenize(c.text)) for c in cands]
        n = len(cands)
        # Terms rare among the candidates carry the question's specifics; absent ones weigh most.
        idf = {t: math.log(1 + n / (1 + sum(t in ts for ts in tokens))) for t in q_terms}
        total = sum(idf.values())
        coverage = np.array([sum(idf[t] for t in q_terms if t in ts) / total for ts in tokens])

        # Embed only the most promising candidates: the embedder is the cost here.
        prior = coverage + 0.2 / np.array([c.rank for c in cands])
        keep = sorted(np.argsort(-prior, kind="stable")[: self.max_candidates].tolist())
        cands = [cands[i] for i in keep]
        coverage = coverage[keep]
        vecs = self.embedder.embed([question, *(c.text for c in cands)])
        sims = vecs[1:] @ vecs[0]

        kind = asked_kind(question)
        # Role swaps matter for quantities: Russia's 5,438 drones are no answer about Ukraine's.
        fits = np.array(
            [holds_kind(kind, c.text) and not (kind == "number" and roles_swapped(question, c.text)) for c in cands]
        )
        rank_prior = np.array([1.0 / c.rank for c in cands])
        score = 0.5 * sims + 0.4 * coverage + 0.15 * fits + 0.05 * rank_prior

        # Only sentences holding the asked-for kind of thing are eligible to answer.
        order = [i for i in sorted(range(len(cands)), key=lambda i: (-score[i], cands[i].order)) if fits[i]]
        if not order:
            return []
        best = order[0]
        # A long sentence dilutes its embedding, so full coverage of the question's specific terms
        # stands in for closeness of meaning.
        close = sims[best] >= self.min_similarity or coverage[best] >= 0.95
        if coverage[best] < self.min_coverage or not close:
            return []
        chosen = [best]
        for i in order[1:]:
            if len(chosen) >= self.max_sentences:
                break
            good = score[i] >= 0.85 * score[best] and coverage[i] >= self.min_coverage
            if good and max(float(vecs[1 + i] @ vecs[1 + j]) for j in chosen) < self.redundancy:
                chosen.append(i)
        return [cands[i] for i in chosen]

    # -- summaries ------------------------------------------------------------------------------

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        cands = _candidates(sources)[:120]
        if not cands:
            return Draft(abstained=True, engine=self.name)
        # Quotes and very long run-ons make poor summary sentences when better ones exist.
        plain = [c for c in cands if c.text[:1] not in "'\"‘“" and len(c.text) < 400]
        if len(plain) >= 3:
            cands = plain
        vecs = self.embedder.embed([topic or "", *(c.text for c in cands)])
        q, sv = vecs[0], vecs[1:]
        centroid = sv.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        relevance = sv @ centroid
        if topic:
            relevance = 0.5 * relevance + 0.5 * (sv @ q)
        # News puts what matters first: a prior that decays with the sentence's place in its
        # article; and a sentence leaning on an earlier one ("This helped...") reads badly alone.
        first_of: dict[str, int] = {}
        position = []
        for c in cands:
            position.append(first_of.setdefault(c.source.hit.article.id, 0))
            first_of[c.source.hit.article.id] += 1
        prior = np.array([0.12 * math.exp(-p / 6) for p in position])
        anaphor = np.array([0.06 if _ANAPHOR.match(c.text) else 0.0 for c in cands])
        relevance = relevance + prior - anaphor
        want = min(max_sentences, max(3, len(cands) // 4), len(cands))
        chosen: list[int] = []
        while len(chosen) < want:
            best_i, best_v = -1, -1e9
            for i in range(len(cands)):
                if i in chosen:
                    continue
                overlap = max((float(sv[i] @ sv[j]) for j in chosen), default=0.0)
                if overlap >= self.redundancy:
                    continue
                v = 0.7 * float(relevance[i]) - 0.3 * overlap
                if v > best_v:
                    best_i, best_v = i, v
            if best_i < 0:
                break
            chosen.append(best_i)
        picked = sorted((cands[i] for i in chosen), key=lambda c: c.order)
        return self._draft(picked)

    def _draft(self, chosen: Sequence[_Candidate]) -> Draft:
        if not chosen:
            return Draft(abstained=True, engine=self.name)
        return Draft(
            sentences=[DraftSentence(text=c.text, cites=[c.source.n], quotes={c.source.n: c.text}) for c in chosen],
            engine=self.name,
        )
