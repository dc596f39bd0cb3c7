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
from qa.prose import DANGLING, leans_on_previous, quoted_share
from qa.text import jaccard

SUMMARY_CANDIDATES = 80
# A sentence's place in its article is worth up to EARLY (the first) down to 0 (the last).
EARLY = 0.25
# Sentences of one story sit 0.4-0.6 apart in cosine anyway; only closeness beyond SAME_TOPIC
# counts as repeating a chosen sentence.
SAME_TOPIC = 0.4
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
    tv = vecs[0]  # only read when there is a topic
    title_v, sv = vecs[len(head) : len(head) + len(titles)], vecs[len(head) + len(titles) :]
    # Central: close to the centroid of the material (≈ high mean similarity to the other
    # sentences), to its own article's headline, and to the topic when there is one.
    centroid = sv.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    headline = np.einsum("ij,ij->i", sv, title_v[[titles.index(s.source.hit.article.title) for s in sents]])
    central = 0.6 * (sv @ centroid) + 0.4 * headline
    if topic:
        central = 0.6 * central + 0.4 * (sv @ tv)
    # News is written most-important-first: the lead summarises, and earlier sentences matter
    # more than later ones. Quotes, fragments, run-ons and sentences leaning on one we may not
    # show ("It is also...", "This helped...") summarise badly.
    dangling = [bool(DANGLING.match(s.text)) for s in sents]
    by_article: dict[str, list[int]] = {}
    for i in sorted(range(len(sents)), key=lambda i: sents[i].at):
        by_article.setdefault(sents[i].source.hit.article.id, []).append(i)
    early = np.zeros(len(sents))
    for idx in by_article.values():
        for r, i in enumerate(idx):
            early[i] = EARLY * (1 - r / len(idx))
    prior = np.array(
        [
            0.05 * (s.first and not d)
            - 0.15 * d
            - 0.2 * (quoted_share(s.text) > 0.4)
            - 0.1 * (len(s.text.split()) < 8)
            - 0.05 * (len(s.text.split()) > 45)
            for s, d in zip(sents, dangling, strict=True)
        ]
    )
    value = central + prior + early
    pool = list(range(len(sents)))
    if topic:
        # Retrieval brings in articles that merely share a word with the topic; those are no
        # part of a summary of it. An article is on topic by its headline or its best sentence.
        on_topic: dict[str, float] = {}
        for i, s in enumerate(sents):
            a = s.source.hit.article
            best = max(float(sv[i] @ tv), float(title_v[titles.index(a.title)] @ tv))
            on_topic[a.id] = max(on_topic.get(a.id, -1.0), best)
        floor = max(on_topic.values()) - 0.3
        pool = [i for i in pool if on_topic[sents[i].source.hit.article.id] >= floor]
    want = min(max_sentences, len(pool), max(3, math.ceil(len(pool) / 3)))
    # A sentence that leans on the one before it ("It was the worst contraction since May.") is
    # shown only after that one; the material's order tells which one it is.
    before: dict[int, int] = {}
    for idx in by_article.values():
        for prev, i in itertools.pairwise(idx):
            if sents[i].at - (sents[prev].source.hit.chunk.start + sents[prev].end) <= ADJACENT:
                before[i] = prev
    chosen: list[int] = []
    told: set[str] = set()
    while len(chosen) < want:
        best_i, best_v = -1, -math.inf
        for i in pool:
            if i in chosen:
                continue
            overlap = max((float(sv[i] @ sv[j]) for j in chosen), default=0.0)
            if overlap >= redundancy or any(jaccard(sents[i].terms, sents[j].terms) >= 0.5 for j in chosen):
                continue  # never two sentences saying the same thing
            # An article's first sentence leans on nothing ("The city council approved…" opens
            # a story); a later one needs the sentence before it shown first.
            if leans_on_previous(sents[i].text) and not sents[i].first and before.get(i) not in chosen:
                continue
            if repeats(sents[i].terms, told):
                continue
            v = rounded(0.7 * float(value[i]) - 0.3 * max(0.0, overlap - SAME_TOPIC))
            if v > best_v:
                best_i, best_v = i, v
        if best_i < 0:
            break
        chosen.append(best_i)
        told |= sents[best_i].terms
    # Reading order: articles in the order the sources first show them, then text position.
    first_seen: dict[str, int] = {}
    for src in sources:
        first_seen.setdefault(src.hit.article.id, len(first_seen))
    picked = sorted((sents[i] for i in chosen), key=lambda s: (first_seen[s.source.hit.article.id], s.at))
    return picked


def repeats(terms: frozenset[str], told: set[str]) -> bool:
    """True if all but :data:`NOVEL` of a sentence's content terms were told already."""
    return bool(told and terms) and len(terms - told) < NOVEL * len(terms)
