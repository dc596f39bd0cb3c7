"""Summaries: the central sentences of the material, no two saying the same thing, in reading order.

A sentence is central when it is close to the centroid of the material, to its own article's
headline, and to the topic when one is given. News is written most-important-first, so an early
sentence gets a bonus; quotes and fragments lose. A sentence leaning on the one before it ("It was
the worst…") is shown only after that one, and none repeats what the chosen ones told together.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from qa.embeddings import Embedder
from qa.engines.base import Source
from qa.engines.extractive.sentences import Sentence, passage_sentences, rounded
from qa.prose import CLAUSE_ANAPHOR, DANGLING, leans_on_previous, quoted_share
from qa.text import jaccard

SUMMARY_CANDIDATES = 80
# Central: close to the material's centroid (CENTROID) and to its own article's headline (HEADLINE);
# with a topic, that blend (ON_MATERIAL) and closeness to the topic (ON_TOPIC).
CENTROID, HEADLINE = 0.6, 0.4
ON_MATERIAL, ON_TOPIC = 0.6, 0.4
# A sentence's place in its article is worth up to EARLY (the first) down to 0 (the last).
EARLY = 0.25
# What a sentence is, before what it says: an article's first sentence (when it leans on nothing)
# gains LEAD; a dangling opener, a mostly quoted sentence (over QUOTED_SHARE of it in quotes), a
# fragment (under SHORT_WORDS) and a run-on (over LONG_WORDS) lose.
LEAD = 0.05
DANGLES = 0.15
QUOTED, QUOTED_SHARE = 0.2, 0.4
SHORT, SHORT_WORDS = 0.1, 8
LONG, LONG_WORDS = 0.05, 45
# With a topic, an article whose headline and best sentence both sit more than this below the
# closest article's is off topic: retrieval brought it in for a shared word.
OFF_TOPIC = 0.3
# A summary tells at least MIN_SENTENCES and about a third of its material, up to what is asked.
MIN_SENTENCES, MATERIAL_SHARE = 3, 3
# Sentences of one story sit 0.4-0.6 apart in cosine anyway; only closeness beyond SAME_TOPIC
# counts as repeating a chosen sentence. Each pick weighs its value (VALUE) against that (REPEAT).
SAME_TOPIC = 0.4
VALUE, REPEAT = 0.7, 0.3
SAME_TERMS = 0.5  # term overlap (Jaccard) at which two sentences say the same thing
# A sentence whose content terms the chosen sentences already hold, all but this share, repeats
# them together even when it repeats none alone ("a national day of mourning Thursday, the day
# of the state funeral" after one sentence on the mourning and one on the funeral).
NOVEL = 0.4
ADJACENT = 3  # characters between two sentences with nothing else between them (spaces, a line break)


def summarize(
    embedder: Embedder,
    topic: str | None,
    sources: Sequence[Source],
    max_sentences: int = 5,
    redundancy: float = 0.8,
) -> list[Sentence]:
    sents = passage_sentences(sources, SUMMARY_CANDIDATES, join_lowercase=True)
    if not sents:
        return []
    topic = (topic or "").strip()
    titles = list(dict.fromkeys(s.source.hit.article.title for s in sents))
    head = [topic] if topic else []
    vecs = embedder.embed([*head, *titles, *(s.text for s in sents)])
    tv = vecs[0] if topic else None
    title_v, sv = vecs[len(head) : len(head) + len(titles)], vecs[len(head) + len(titles) :]
    by_article: dict[str, list[int]] = {}
    for i in sorted(range(len(sents)), key=lambda i: sents[i].at):
        by_article.setdefault(sents[i].source.hit.article.id, []).append(i)
    of_title = title_v[[titles.index(s.source.hit.article.title) for s in sents]]
    value = _centrality(sv, of_title, tv) + _prior(sents) + _early(by_article, len(sents))
    pool = list(range(len(sents)))
    if tv is not None:
        pool = _on_topic(sents, sv, of_title, tv)
    want = min(max_sentences, len(pool), max(MIN_SENTENCES, math.ceil(len(pool) / MATERIAL_SHARE)))
    chosen = _choose(sents, sv, value, pool, want, _before(sents, by_article), redundancy)
    # Reading order: articles in the order the sources first show them, then text position.
    first_seen: dict[str, int] = {}
    for src in sources:
        first_seen.setdefault(src.hit.article.id, len(first_seen))
    return sorted((sents[i] for i in chosen), key=lambda s: (first_seen[s.source.hit.article.id], s.at))


def _centrality(sv: np.ndarray, of_title: np.ndarray, tv: np.ndarray | None) -> np.ndarray:
    """Close to the centroid of the material (about: a high mean similarity to the other
    sentences), to its own article's headline, and to the topic when there is one."""
    centroid = sv.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    central = CENTROID * (sv @ centroid) + HEADLINE * np.einsum("ij,ij->i", sv, of_title)
    return central if tv is None else ON_MATERIAL * central + ON_TOPIC * (sv @ tv)


def _prior(sents: list[Sentence]) -> np.ndarray:
    """Quotes, fragments, run-ons and sentences leaning on one we may not show ("It is also...",
    "This helped...") summarise badly; an article's own first sentence summarises it."""
    rows = []
    for s in sents:
        dangles = bool(DANGLING.match(s.text))
        words = len(s.text.split())
        rows.append(
            LEAD * (s.first and not dangles)
            - DANGLES * dangles
            - QUOTED * (quoted_share(s.text) > QUOTED_SHARE)
            - SHORT * (words < SHORT_WORDS)
            - LONG * (words > LONG_WORDS)
        )
    return np.array(rows)


def _early(by_article: dict[str, list[int]], n: int) -> np.ndarray:
    """News is written most-important-first: the earlier in its article, the more a sentence counts."""
    early = np.zeros(n)
    for idx in by_article.values():
        for r, i in enumerate(idx):
            early[i] = EARLY * (1 - r / len(idx))
    return early


def _on_topic(sents: list[Sentence], sv: np.ndarray, of_title: np.ndarray, tv: np.ndarray) -> list[int]:
    """The sentences of articles on the topic, by their headline or their best sentence."""
    on_topic: dict[str, float] = {}
    for i, s in enumerate(sents):
        best = max(float(sv[i] @ tv), float(of_title[i] @ tv))
        on_topic[s.source.hit.article.id] = max(on_topic.get(s.source.hit.article.id, -1.0), best)
    floor = max(on_topic.values()) - OFF_TOPIC
    return [i for i in range(len(sents)) if on_topic[sents[i].source.hit.article.id] >= floor]


def _before(sents: list[Sentence], by_article: dict[str, list[int]]) -> dict[int, int]:
    """For each sentence, the one right before it in its article (nothing between them): a
    sentence that leans on it ("It was the worst contraction since May.") is shown only after it."""
    before: dict[int, int] = {}
    for idx in by_article.values():
        for prev, i in itertools.pairwise(idx):
            if sents[i].at - (sents[prev].source.hit.chunk.start + sents[prev].end) <= ADJACENT:
                before[i] = prev
    return before


def _choose(
    sents: list[Sentence],
    sv: np.ndarray,
    value: np.ndarray,
    pool: list[int],
    want: int,
    before: dict[int, int],
    redundancy: float,
) -> list[int]:
    """Greedily, the most valuable sentence that says nothing a chosen one said."""
    chosen: list[int] = []
    told: set[str] = set()
    while len(chosen) < want:
        best_i, best_v = -1, -math.inf
        for i in pool:
            if i in chosen:
                continue
            overlap = max((float(sv[i] @ sv[j]) for j in chosen), default=0.0)
            if overlap >= redundancy or any(jaccard(sents[i].terms, sents[j].terms) >= SAME_TERMS for j in chosen):
                continue  # never two sentences saying the same thing
            # An article's first sentence leans on nothing ("The city council approved…" opens
            # a story); a later one needs the sentence before it shown first.
            leans = leans_on_previous(sents[i].text) or CLAUSE_ANAPHOR.match(sents[i].text)
            if leans and not sents[i].first and before.get(i) not in chosen:
                continue
            if repeats(sents[i].terms, told):
                continue
            v = rounded(VALUE * float(value[i]) - REPEAT * max(0.0, overlap - SAME_TOPIC))
            if v > best_v:
                best_i, best_v = i, v
        if best_i < 0:
            break
        chosen.append(best_i)
        told |= sents[best_i].terms
    return chosen


def repeats(terms: frozenset[str], told: set[str]) -> bool:
    """True if all but :data:`NOVEL` of a sentence's content terms were told already."""
    return bool(told and terms) and len(terms - told) < NOVEL * len(terms)
