"""Which articles report one event: features of an article, their similarity, and clustering.

1. **Features.** An article is the mean vector of its first chunks (embedded from exactly the
   text ingest embedded, so a caching embedder already holds them), the content terms of its
   title, and its names (capitalised words of its lead that do not open a sentence).
2. **Similarity.** ``cosine + 0.25·title overlap + 0.35·name overlap``, the overlaps weighted by
   how rare each term is among the day's articles (a place every story mentions links nothing).
3. **Clustering.** Deterministic average-linkage agglomeration: merge the closest pair of
   stories while their mean pairwise similarity is at least :data:`THRESHOLD`. Thirty lines of
   numpy; scipy's ``linkage`` does the same but would be a new 40 MB dependency for it.
4. **Sidebars.** An article left alone whose closest article of a story is at least
   :data:`ATTACH` close joins that story: an explainer ("What is an oligarchy? Here's what Biden
   meant") is close to the one report it explains, not to the story's other angles, so the mean
   keeps it out. Only lone articles join, so two stories still never chain together.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.briefing.news import is_roundup, newsworthy
from qa.models import ArticleMeta
from qa.prose import usable
from qa.store.protocol import ChunkRecord
from qa.text import sentence_spans
from qa.tokens import tokenize

# Calibrated on the fixture days of tests/fixtures/briefing, and checked on the eval corpus, the
# seed page and busy days of the realtimeqa set. Pairs of articles about one event score 0.9-1.43
# on the fixtures (wire copies about 1.4), unrelated pairs 0.58 at most even when they share a
# town's name. Real angles on one event published the same day ("tariffs take effect" / "what will
# cost more", "Kim mourns a soldier" / "the war comes home to North Korea") score 0.75-1.3 and
# should be one story; related but distinct events ("buyouts for federal workers" / "funding
# freeze memo rescinded") score up to about 0.6 and should not. Average linkage compares story
# means, so one close pair cannot chain two stories together.
THRESHOLD = 0.7
# The low end of the same-event range above. Over the 200 busiest dev-split days it joins three
# articles, each an angle on its story (an explainer, "experts weigh in", a mourner at a funeral);
# at 0.7 it would also join an inauguration schedule to a funeral story.
ATTACH = 0.75
TITLE_WEIGHT = 0.25
NAME_WEIGHT = 0.35
LEAD_SENTENCES = 3  # lead sentences per article whose names are compared
VECTOR_CHUNKS = 3  # an article's vector: the mean of its first chunks' (a scraped page may open mid-story)

_CALENDAR = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december"
)
_NOT_NAMES = frozenset(
    (
        "the a an in on at by for from of to and but or as if it its he she they we i you his her their our this "
        "that these those there here when while after before since until some many most mr mrs ms dr st " + _CALENDAR
    ).split()
)
_WORD = re.compile(r"[A-Za-z][\w'’.-]*")
_CALENDAR_TERMS = frozenset(tokenize(_CALENDAR))


@dataclass
class Doc:
    """One article of the day, with what clustering and ranking read of it."""

    meta: ArticleMeta
    chunks: list[ChunkRecord]
    lead: list[str]
    when: dt.datetime
    title_terms: frozenset[str]
    names: frozenset[str]
    vec: np.ndarray | None = None


def lead_sentences(text: str, n: int = LEAD_SENTENCES) -> list[str]:
    """The first ``n`` usable news sentences of ``text`` (split as summaries split)."""
    out = []
    for s, e in sentence_spans(text, join_lowercase=True):
        if usable(text[s:e]) and newsworthy(text[s:e]):
            out.append(text[s:e])
            if len(out) == n:
                break
    return out


def names_of(sentences: Sequence[str]) -> frozenset[str]:
    """Capitalised words that do not open a sentence: a cheap stand-in for named entities."""
    found = set()
    for sentence in sentences:
        for i, m in enumerate(_WORD.finditer(sentence)):
            word = m.group().rstrip(".'’-")
            word = re.sub(r"['’]s$", "", word)
            if i == 0 or len(word) < 2 or not word[0].isupper():
                continue
            low = word.lower()
            if low not in _NOT_NAMES:
                found.add(low)
    return frozenset(found)


def title_terms(title: str) -> frozenset[str]:
    return frozenset(t for t in tokenize(title) if len(t) > 1 and t not in _CALENDAR_TERMS)


def sentence_case(title: str) -> bool:
    """True unless the title capitalises most words ("Council Passes Transit Budget")."""
    words = [w for w in _WORD.findall(title)[1:] if w.lower() not in _NOT_NAMES]
    return not words or sum(w[0].isupper() for w in words) / len(words) < 0.6


def moment(p: dt.datetime | dt.date | None) -> dt.datetime:
    """A naive UTC datetime to order by; a bare date counts as its start."""
    if isinstance(p, dt.datetime):
        return p.astimezone(dt.UTC).replace(tzinfo=None) if p.tzinfo else p
    if isinstance(p, dt.date):
        return dt.datetime.combine(p, dt.time.min)
    return dt.datetime.min


def make_doc(meta: ArticleMeta, chunks: list[ChunkRecord]) -> Doc:
    lead = lead_sentences(chunks[0].chunk.text)
    return Doc(
        meta=meta,
        chunks=chunks,
        lead=lead,
        when=moment(meta.published),
        title_terms=title_terms(meta.title),
        names=names_of([meta.title, *lead]) if sentence_case(meta.title) else names_of(lead),
    )


def _weighted_overlap(sets: Sequence[frozenset[str]]) -> np.ndarray:
    """Pairwise IDF-weighted Dice overlap: shared rare terms count most, shared common ones little."""
    n = len(sets)
    df = Counter(t for s in sets for t in s)
    weight = {t: math.log(1 + n / c) for t, c in df.items()}
    mass = [sum(weight[t] for t in s) for s in sets]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            shared = sum(weight[t] for t in sets[i] & sets[j])
            denom = mass[i] + mass[j]
            out[i, j] = out[j, i] = 2 * shared / denom if denom else 0.0
    return out


def similarity(vecs: np.ndarray, titles: Sequence[frozenset[str]], names: Sequence[frozenset[str]]) -> np.ndarray:
    """How likely each pair of articles reports the same event (about 0.2 unrelated, ≥1 related)."""
    cos = vecs @ vecs.T
    sim = cos + TITLE_WEIGHT * _weighted_overlap(titles) + NAME_WEIGHT * _weighted_overlap(names)
    return np.round(sim.astype(np.float64), 6)  # float noise must not reorder merges


def cluster(sim: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage agglomerative clustering: merge the closest pair while it is ≥ threshold.

    Deterministic: ties go to the lowest indices. Returns groups of indices, each sorted.
    """
    n = len(sim)
    s = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(s, -np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        flat = int(np.argmax(s))
        i, j = divmod(flat, n)
        if not s[i, j] >= threshold:
            break
        i, j = min(i, j), max(i, j)
        ni, nj = len(members[i]), len(members[j])
        row = np.round((ni * s[i] + nj * s[j]) / (ni + nj), 6)
        s[i, :] = row
        s[:, i] = row
        s[i, i] = -np.inf
        s[j, :] = -np.inf
        s[:, j] = -np.inf
        members[i] += members[j]
        members[j] = []
    return [sorted(m) for m in members if m]


def attach_lone(sim: np.ndarray, groups: list[list[int]], attach: float = ATTACH) -> list[list[int]]:
    """Each one-article group whose closest article of a larger group is ≥ ``attach`` joins that
    group; the larger groups are as :func:`cluster` left them, so joins never chain."""
    home = {i: k for k, g in enumerate(groups) for i in g}
    joined: list[list[int]] = [list(g) for g in groups]
    others = [j for j in range(len(sim)) if len(groups[home[j]]) > 1]
    for k, g in enumerate(groups):
        if len(g) != 1 or not others:
            continue
        i = g[0]
        best = max(others, key=lambda j: (sim[i, j], -j))
        if sim[i, best] >= attach:
            joined[home[best]].append(i)
            joined[k] = []
    return [sorted(g) for g in joined if g]


def group(docs: list[Doc], threshold: float = THRESHOLD) -> list[list[Doc]]:
    """The day's articles as stories, each most central first (closest to the story's centroid;
    on a tie, always the case for two articles, the earliest report, then the id)."""
    vecs = np.stack([d.vec for d in docs if d.vec is not None])
    sim = similarity(vecs, [d.title_terms for d in docs], [d.names for d in docs])
    for i, d in enumerate(docs):
        if is_roundup(d.meta):  # it tells several stories, so it joins none
            sim[i, :] = sim[:, i] = 0.0
    stories = []
    for members_idx in attach_lone(sim, cluster(sim, threshold)):
        members = [docs[i] for i in members_idx]
        centroid = vecs[members_idx].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        central = {id(d): round(float(vecs[i] @ centroid), 4) for i, d in zip(members_idx, members, strict=True)}
        members.sort(key=lambda d: (-central[id(d)], d.when, d.meta.id))
        stories.append(members)
    return stories
