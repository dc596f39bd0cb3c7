"""What the ranker knows of a candidate: one row of numbers per candidate, named in ``CHEAP`` and ``FULL``.

The features are the signals the hand-weighted engine used (IDF coverage, answer-type fit, role
check, entities named, focus noun, passage rank, position, headline overlap) plus a few that only
a learned model can weigh sensibly: how many articles repeat the candidate's new value, how close
that value sits to the question's words, and each score relative to the question's best.
``CHEAP`` features cost microseconds; ``similarity`` needs an embedding, so it is computed only for
the candidates the cheap model ranks highest (see :mod:`qa.engines.extractive.ranker`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa.engines.extractive.candidates import Candidate
from qa.engines.extractive.question import NUMERIC, Question, counts, fits, new_names, roles_swapped, word_terms
from qa.engines.extractive.sentences import Sentence
from qa.engines.extractive.short import has_value
from qa.prose import DANGLING, quoted_share
from qa.text import numbers

CHEAP: tuple[str, ...] = (
    "coverage",
    "coverage_gap",
    "entities",
    "fit",
    "asks_value",
    "counted_unit",
    "focus_ok",
    "roles_swapped",
    "source_rank_inv",
    "dense_rank_inv",
    "lexical_rank_inv",
    "lead",
    "log_position",
    "log_words",
    "quoted",
    "title_coverage",
    "is_pair",
    "dangling",
    "new_numbers",
    "new_names",
    "value_votes",
    "value_proximity",
    "has_short",
    "named_answer",
    "numeric_answer",
    "names_in_title",
    "value_salience",
)
# Stage 2 adds signals that cost a model call per sentence, each with its gap to the question's best:
# the bi-encoder's cosine ("similarity") and the cross-encoder's log-odds ("cross"). Which of them a
# shipped model uses is named in its stage-2 feature list; only those are computed. FULL is the
# shipped reader's (the cross-encoder did not beat the cosine out of fold: bench/README.md).
SIGNALS: tuple[str, ...] = ("similarity", "cross")
FULL: tuple[str, ...] = (*CHEAP, "similarity", "similarity_gap")
WITH_CROSS: tuple[str, ...] = (*CHEAP, "cross", "cross_gap")


def _values(q: Question, text: str) -> set[str]:
    """What a sentence states that the question does not: numbers and names."""
    return (numbers(text) - q.numbers) | {n.lower() for n in new_names(text, q.words)}


def _proximity(q: Question, text: str) -> float:
    """1 when a new number or name stands right next to a question word, falling with distance."""
    words = text.split()
    terms = set(q.terms)
    at_terms = [i for i, w in enumerate(words) if word_terms(w) & terms]
    at_values = [
        i
        for i, w in enumerate(words)
        if (any(c.isdigit() for c in w) and w.strip(".,;:%$€£()").replace(",", "") not in q.numbers)
        or (i > 0 and w[:1].isupper() and w.strip("'’.,;:()").lower() not in q.words)
    ]
    if not at_terms or not at_values:
        return 0.0
    gap = min(abs(a - b) for a in at_terms for b in at_values)
    return 1.0 / gap if gap else 1.0


_CAP = 3  # counts of names and numbers saturate here
_WHICH_NOUN = re.compile(r"\b(?:which|what)\s+(?!(?:is|was|are|were|did|does|do|has|have|had)\b)[a-z]", re.I)
_NAMED_KINDS = frozenset(["person", "org", "place"])


@dataclass
class _Said:
    """What each sentence says against the question, computed once for every candidate made of it."""

    has_short: list[bool]
    near: list[float]
    n_names: list[int]
    n_numbers: list[int]
    fit: list[float]
    swapped: list[bool]
    values: list[set[str]]
    where: dict[str, set[str]]  # each value: the articles that state it
    mentions: dict[str, int]  # each value: how many sentences name it (what the passages are about)


def _said(q: Question, sents: list[Sentence]) -> _Said:
    swapped = [roles_swapped(q.text, s.text) for s in sents]
    values = [_values(q, s.text) for s in sents]
    # How many articles state each value: a figure several outlets agree on is likelier the answer.
    where: dict[str, set[str]] = {}
    mentions: dict[str, int] = {}
    for s, vals in zip(sents, values, strict=True):
        for v in vals:
            where.setdefault(v, set()).add(s.source.hit.article.id)
            mentions[v] = mentions.get(v, 0) + 1
    return _Said(
        has_short=[has_value(q, s.text) for s in sents],
        near=[_proximity(q, s.text) for s in sents],
        n_names=[len(new_names(s.text, q.words)) for s in sents],
        n_numbers=[len(numbers(s.text) - q.numbers) for s in sents],
        fit=[0.0 if sw else fits(q.ask, q.text, s.text) for s, sw in zip(sents, swapped, strict=True)],
        swapped=swapped,
        values=values,
        where=where,
        mentions=mentions,
    )


def _inverse(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def _capped(n: int) -> float:
    return min(n, _CAP) / _CAP


def _entities(q: Question, c: Candidate) -> float:
    """The share of the question's names the candidate (or its article's topic) names."""
    if not q.names:
        return 1.0
    seen = frozenset().union(*(s.terms | s.topic for s in c.sentences))
    return sum(len(toks & seen) / len(toks) >= 0.5 for toks in q.names) / len(q.names)


def _row(q: Question, c: Candidate, said: _Said, wants_name: bool, wants_number: bool) -> list[float]:
    hit = c.sentences[0].source.hit
    first = c.sentences[0]
    cand_values = set().union(*(said.values[i] for i in c.idx))
    names = _capped(sum(said.n_names[i] for i in c.idx))
    figures = _capped(sum(said.n_numbers[i] for i in c.idx))
    return [
        q.coverage(c.terms),
        0.0,  # coverage_gap, filled in by the caller
        _entities(q, c),
        max(said.fit[i] for i in c.idx),
        float(q.ask.kind is not None),
        float(bool(q.ask.unit) and any(counts(s.text, q.ask.unit or "") for s in c.sentences)),
        float(q.focus is None or q.focus in c.terms),
        float(any(said.swapped[i] for i in c.idx)),
        1.0 / c.best_rank,
        _inverse(hit.dense_rank),
        _inverse(hit.lexical_rank),
        float(any(s.first for s in c.sentences)),
        math.log1p(first.at / 500),
        math.log1p(len(c.text.split())),
        max(quoted_share(s.text) for s in c.sentences),
        q.coverage(first.topic),
        float(c.is_pair),
        float(bool(DANGLING.match(first.text))),
        figures,
        names,
        math.log1p(max((len(said.where[v]) for v in cand_values), default=0)),
        max(said.near[i] for i in c.idx),
        float(any(said.has_short[i] for i in c.idx)),
        float(wants_name) * names,
        float(wants_number) * figures,
        float(any(v in hit.article.title.lower() for v in cand_values if not v.isdigit())),
        math.log1p(max((said.mentions[v] for v in cand_values), default=0)),
    ]


def cheap_features(q: Question, sents: list[Sentence], cands: list[Candidate]) -> np.ndarray:
    """One row of ``CHEAP`` features per candidate."""
    wants_name = q.ask.kind in _NAMED_KINDS or (q.ask.kind is None and bool(_WHICH_NOUN.search(q.text)))
    wants_number = q.ask.kind in NUMERIC
    said = _said(q, sents)
    rows = [_row(q, c, said, wants_name, wants_number) for c in cands]
    x = np.asarray(rows, dtype=np.float64).reshape(len(cands), len(CHEAP))
    if len(cands):
        x[:, 1] = x[:, 0].max() - x[:, 0]
    return x


def signals_needed(features: tuple[str, ...]) -> tuple[str, ...]:
    """The stage-2 signals a feature list reads (``cross_gap`` needs ``cross``)."""
    return tuple(s for s in SIGNALS if s in features or f"{s}_gap" in features)


def second_stage(features: tuple[str, ...], x: np.ndarray, signals: dict[str, np.ndarray]) -> np.ndarray:
    """``CHEAP`` rows extended to ``features``: each signal as is, and each ``*_gap`` as the distance
    to the best value among these rows."""
    if tuple(features[: len(CHEAP)]) != CHEAP:
        raise ValueError("stage-2 features must begin with the cheap ones, in order")
    cols = [x]
    for name in features[len(CHEAP) :]:
        base = name.removesuffix("_gap")
        if base not in SIGNALS:
            raise ValueError(f"unknown stage-2 feature {name!r}")
        v = signals[base].reshape(-1, 1)
        cols.append((v.max() - v) if name.endswith("_gap") and len(v) else v)
    return np.hstack(cols)


def with_similarity(x: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """``CHEAP`` rows extended to ``FULL`` with each candidate's cosine and its gap to the best."""
    return second_stage(FULL, x, {"similarity": similarity})
