"""Daily briefings: the day's stories, most covered first, each told once with a cited summary.

A briefing covers the articles published on one day (by ``published_date``; undated articles are
in no briefing). Several outlets reporting one event, and wire copies printed by several papers,
make one story:

1. **Features.** Each article is represented by the mean vector of its first chunks, embedded
   from exactly the text ingest embedded (so the caching embedder of :mod:`qa.services` already
   holds them and clustering embeds nothing new), the content terms of its title, and its names
   (capitalised words of its lead that do not open a sentence).
2. **Similarity.** ``cosine + 0.25·title overlap + 0.35·name overlap``, the overlaps weighted by
   how rare each term is among the day's articles (a place every story mentions links nothing).
3. **Clustering.** Deterministic average-linkage agglomeration: merge the closest pair of
   stories while their mean pairwise similarity is at least :data:`THRESHOLD` (calibrated on
   ``tests/fixtures/briefing``; see ``tests/test_briefing.py``).
4. **Order.** Distinct outlets, then articles, then the latest publication time.
5. **Sections.** The headline is the title of the most central article (closest to the story's
   centroid), or the LLM's headline with the ``llm`` engine. The summary is drafted by the engine
   over the leads of the story's articles (``summarize(None, sources, max_sentences=4)``, or
   ``LLMEngine.briefing``), and verified by :func:`qa.citations.verify` exactly like ``/ask``. If
   a story has several outlets but its extractive summary cites one, the other outlets' most
   central sentence that says something new joins it.

Briefings of past days are cached in memory, keyed by (date, sources, max_sections, engine). An
entry stays valid while the store's revision is unchanged or, after a write, while the
fingerprint of that day's articles (ids, versions and metadata) is the same: a write to another
day does not invalidate it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from qa.citations import VerifiedAnswer, verify
from qa.embeddings import CachedEmbedder, Embedder
from qa.engines.base import Draft, DraftSentence, Engine, Source, number_sources
from qa.engines.extractive import usable
from qa.errors import EngineError
from qa.ingest.chunking import embedding_text
from qa.models import ArticleMeta, Chunk, Hit, SearchFilters
from qa.schemas import CitationOut
from qa.store.protocol import ChunkRecord, DocumentStore
from qa.text import content_tokens, normalize_ws, sentence_spans, strip_markup
from qa.tokens import tokenize

if TYPE_CHECKING:
    from qa.services import Services

log = logging.getLogger(__name__)

# -- calibration ---------------------------------------------------------------------------------
# Calibrated on the fixture days of tests/fixtures/briefing, and checked on the eval corpus, the
# seed page and busy days of the realtimeqa set. Pairs of articles about one event score 0.9-1.43
# on the fixtures (wire copies about 1.4), unrelated pairs 0.58 at most even when they share a
# town's name. Real angles on one event published the same day ("tariffs take effect" / "what will
# cost more", "Kim mourns a soldier" / "the war comes home to North Korea") score 0.75-1.3 and
# should be one story; related but distinct events ("buyouts for federal workers" / "funding
# freeze memo rescinded") score up to about 0.6 and should not. Average linkage compares story
# means, so one close pair cannot chain two stories together.
THRESHOLD = 0.7
TITLE_WEIGHT = 0.25
NAME_WEIGHT = 0.35
LEAD_SENTENCES = 3  # lead sentences per article whose names are compared
VECTOR_CHUNKS = 3  # an article's vector: the mean of its first chunks' (a scraped page may open mid-story)
SUMMARY_SENTENCES = 4
MAX_SUMMARY_ARTICLES = 6  # leads shown to the engine per story; more repeat the same facts
LONE_LEAD = 4  # usable sentences of a lone article shown to the engine
SHARED_LEAD = 3  # ... and of each article of a story several articles tell
REDUNDANT_COSINE = 0.8  # the extractive engine's own "says the same thing" bound
DEFAULT_MAX_SECTIONS = 10
NO_SUMMARY = "No summary could be verified for this story; see its articles below."

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


# -- wire shapes ---------------------------------------------------------------------------------


class BriefingArticle(BaseModel):
    id: str
    title: str
    source: str | None = None
    url: str | None = None
    published: dt.datetime | dt.date | None = None

    @classmethod
    def of(cls, m: ArticleMeta) -> BriefingArticle:
        return cls(id=m.id, title=m.title, source=m.source, url=m.url, published=m.published)


class BriefingSection(BaseModel):
    headline: str
    summary: str = Field(description="2-4 sentences with [n] markers, each verified against its citation.")
    citations: list[CitationOut] = Field(default_factory=list)
    article_ids: list[str] = Field(description="Every article of the story, most central first.")
    articles: list[BriefingArticle]


class Briefing(BaseModel):
    date: dt.date | None = Field(description="The day covered; null if no article has a date.")
    sections: list[BriefingSection] = Field(default_factory=list, description="Stories, most important first.")
    markdown: str = Field(description="The briefing as Markdown, ready to paste into an email.")
    message: str = Field(description="What the briefing holds, or why it is empty.")
    engine: str = Field(description="The engine that drafted the summaries.")
    notes: list[str] = Field(default_factory=list, description="e.g. that an engine fell back.")


@runtime_checkable
class BriefingEngine(Protocol):
    """An engine that writes a briefing section itself (headline included), like the LLM engine."""

    name: str

    def briefing(self, day: str, sources: Sequence[Source]) -> tuple[str | None, Draft]: ...


# -- features and clustering ----------------------------------------------------------------------


@dataclass
class _Doc:
    meta: ArticleMeta
    chunks: list[ChunkRecord]
    lead: list[str]
    when: dt.datetime
    title_terms: frozenset[str]
    names: frozenset[str]
    vec: np.ndarray | None = None


def lead_sentences(text: str, n: int = LEAD_SENTENCES) -> list[str]:
    """The first ``n`` usable sentences of ``text``, exactly as the extractive engine splits them."""
    out = []
    for s, e in sentence_spans(text):
        if usable(text[s:e]):
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


def _moment(p: dt.datetime | dt.date | None) -> dt.datetime:
    """A naive UTC datetime to order by; a bare date counts as its start."""
    if isinstance(p, dt.datetime):
        return p.astimezone(dt.UTC).replace(tzinfo=None) if p.tzinfo else p
    if isinstance(p, dt.date):
        return dt.datetime.combine(p, dt.time.min)
    return dt.datetime.min


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


# -- the service --------------------------------------------------------------------------------


@dataclass
class _Story:
    docs: list[_Doc]  # most central first

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(d.meta.source or "unknown outlet" for d in self.docs))

    @property
    def latest(self) -> dt.datetime:
        return max(d.when for d in self.docs)

    def importance(self) -> tuple[int, int, dt.datetime]:
        return (len(self.outlets), len(self.docs), self.latest)


@dataclass
class _Entry:
    revision: str
    fingerprint: str
    briefing: Briefing


CacheKey = tuple[dt.date, tuple[str, ...] | None, int, str]


class BriefingService:
    """Builds briefings; runs the configured engine, falling back like :class:`qa.answering.AnswerService`."""

    def __init__(
        self,
        store: DocumentStore,
        embedder: Embedder,
        engine: Engine,
        fallback: Engine | None = None,
        *,
        min_support: float = 0.6,
        threshold: float = THRESHOLD,
        cache_size: int = 128,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.engine = engine
        self.fallback = fallback
        self.min_support = min_support
        self.threshold = threshold
        self.cache_size = cache_size
        self.today = today
        self.hits = 0  # cache statistics, for tests and logs
        self.misses = 0
        self._cache: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._latest: tuple[str, dict[tuple[str, ...] | None, dt.date | None]] | None = None

    @classmethod
    def from_services(cls, services: Services) -> BriefingService:
        """Wired like ``Services.answers``: the configured engine, the extractive one as fallback."""
        engine = services.engine
        fallback = services.extractive if engine is not services.extractive else None
        return cls(services.store, services.embedder, engine, fallback, min_support=services.settings.min_support)

    # -- public -----------------------------------------------------------------------------------

    def build(
        self,
        day: dt.date | None = None,
        sources: Sequence[str] | None = None,
        max_sections: int = DEFAULT_MAX_SECTIONS,
    ) -> Briefing:
        """The briefing of ``day`` (default: the latest day with articles), optionally only from
        the outlets in ``sources``, with at most ``max_sections`` stories."""
        if max_sections < 1:
            raise ValueError("max_sections must be at least 1")
        wanted = tuple(sorted(set(sources))) if sources else None
        revision = self.store.revision()
        if day is None:
            day = self._latest_day(revision, wanted)
            if day is None:
                return self._empty(None, wanted)
        key: CacheKey = (day, wanted, max_sections, self.engine.name)
        cacheable = day < self.today()
        with self._lock:
            entry = self._cache.get(key) if cacheable else None
            if entry is not None and entry.revision == revision:
                self._cache.move_to_end(key)
                self.hits += 1
                return entry.briefing.model_copy(deep=True)
        metas = self._day_articles(day)
        fingerprint = self._fingerprint(metas)
        if entry is not None and entry.fingerprint == fingerprint:
            with self._lock:
                entry.revision = revision
                self.hits += 1
            return entry.briefing.model_copy(deep=True)
        with self._lock:
            self.misses += 1
        chosen = [m for m in metas if wanted is None or (m.source or "") in wanted]
        briefing = self._compute(day, chosen, wanted, max_sections)
        # A briefing an engine could not fully write (it fell back) is not kept: next time it may.
        if cacheable and not briefing.notes:
            with self._lock:
                self._cache[key] = _Entry(revision, fingerprint, briefing.model_copy(deep=True))
                self._cache.move_to_end(key)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return briefing

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- store reads -----------------------------------------------------------------------------

    def _day_articles(self, day: dt.date) -> list[ArticleMeta]:
        metas = self.store.list_articles(SearchFilters(since=day, until=day), limit=10**9)
        return sorted((m for m in metas if m.published_date == day), key=lambda m: m.id)

    def _fingerprint(self, metas: Sequence[ArticleMeta]) -> str:
        versions = self.store.article_versions()
        h = hashlib.sha1()
        for m in metas:  # sorted by id
            fields = (m.id, versions.get(m.id, "?"), m.title, m.source or "", m.url or "", str(m.published))
            h.update("\x1f".join(fields).encode("utf-8"))
            h.update(b"\x1e")
        return h.hexdigest()

    def _latest_day(self, revision: str, wanted: tuple[str, ...] | None) -> dt.date | None:
        with self._lock:
            if self._latest is not None and self._latest[0] == revision and wanted in self._latest[1]:
                return self._latest[1][wanted]
        filters = SearchFilters(source=list(wanted)) if wanted else None
        days = [m.published_date for m in self.store.list_articles(filters, limit=10**9)]
        latest = max((d for d in days if d is not None), default=None)
        with self._lock:
            if self._latest is None or self._latest[0] != revision:
                self._latest = (revision, {})
            self._latest[1][wanted] = latest
        return latest

    # -- building --------------------------------------------------------------------------------

    def _empty(self, day: dt.date | None, wanted: tuple[str, ...] | None) -> Briefing:
        from qa.briefing_render import to_markdown

        outlets = f" from {', '.join(wanted)}" if wanted else ""
        if day is None:
            message = f"No dated articles{outlets} are stored, so there is no briefing."
        else:
            message = f"No articles{outlets} were published on {day.isoformat()}."
        briefing = Briefing(date=day, sections=[], markdown="", message=message, engine=self.engine.name)
        briefing.markdown = to_markdown(briefing)
        return briefing

    def _compute(
        self, day: dt.date, metas: Sequence[ArticleMeta], wanted: tuple[str, ...] | None, max_sections: int
    ) -> Briefing:
        from qa.briefing_render import to_markdown

        docs = self._docs(metas)
        if not docs:
            return self._empty(day, wanted)
        stories = self._stories(docs)
        shown = stories[:max_sections]
        notes: list[str] = []
        engines: set[str] = set()
        sections = []
        whole = isinstance(self.engine, BriefingEngine)
        planned = [(story, self._sources(story, whole_chunks=whole)) for story in shown]
        if not whole:
            self._prefetch([src for _, src in planned])
        for story, sources in planned:
            section, engine_name, note = self._section(day, story, sources)
            sections.append(section)
            engines.add(engine_name)
            if note:
                notes.append(note)
        n_outlets = len({d.meta.source or "" for d in docs})
        message = (
            f"{len(stories)} {'story' if len(stories) == 1 else 'stories'} from {len(docs)} "
            f"article{'s' if len(docs) != 1 else ''} by {n_outlets} outlet{'s' if n_outlets != 1 else ''}"
        )
        if len(shown) < len(stories):
            message += f"; the top {len(shown)} are shown"
        engine = self.engine.name if self.engine.name in engines or not engines else sorted(engines)[0]
        briefing = Briefing(
            date=day,
            sections=sections,
            markdown="",
            message=message + ".",
            engine=engine,
            notes=list(dict.fromkeys(notes)),
        )
        briefing.markdown = to_markdown(briefing)
        return briefing

    def _docs(self, metas: Sequence[ArticleMeta]) -> list[_Doc]:
        docs = []
        for m in metas:
            chunks = self.store.article_chunks(m.id)
            if not chunks:
                continue  # deleted since it was listed
            lead = lead_sentences(chunks[0].chunk.text)
            docs.append(
                _Doc(
                    meta=m,
                    chunks=chunks,
                    lead=lead,
                    when=_moment(m.published),
                    title_terms=title_terms(m.title),
                    names=names_of([m.title, *lead]) if _sentence_case(m.title) else names_of(lead),
                )
            )
        if docs:
            # An article is the mean of its first chunks' vectors, embedded from exactly the text
            # ingest embedded: the caching embedder of qa.services already holds them, so
            # clustering embeds nothing new.
            texts = [embedding_text(d.meta.title, r.chunk.text) for d in docs for r in d.chunks[:VECTOR_CHUNKS]]
            vecs = self.embedder.embed(texts)
            at = 0
            for d in docs:
                n = len(d.chunks[:VECTOR_CHUNKS])
                v = vecs[at : at + n].astype(np.float64).mean(axis=0)
                at += n
                d.vec = v / max(float(np.linalg.norm(v)), 1e-12)
        return docs

    def _stories(self, docs: list[_Doc]) -> list[_Story]:
        vecs = np.stack([d.vec for d in docs if d.vec is not None])
        sim = similarity(vecs, [d.title_terms for d in docs], [d.names for d in docs])
        stories = []
        for group in cluster(sim, self.threshold):
            members = [docs[i] for i in group]
            centroid = vecs[group].mean(axis=0)
            centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
            central = {id(d): round(float(vecs[i] @ centroid), 4) for i, d in zip(group, members, strict=True)}
            # Most central first; on a tie (always, for two articles) the earliest report, then id.
            members.sort(key=lambda d: (-central[id(d)], d.when, d.meta.id))
            stories.append(_Story(members))
        stories.sort(key=lambda s: s.docs[0].meta.id)
        stories.sort(key=lambda s: s.importance(), reverse=True)
        return stories

    def _sources(self, story: _Story, whole_chunks: bool = False) -> list[Source]:
        """The leads of the story's articles, one per outlet first (most central first), then the
        rest. A lead is its first few usable sentences: the part of a news story written to
        summarise it, and all the extractive engine needs to embed. An engine that writes the
        section itself (the LLM) gets whole first chunks."""
        seen: set[str | None] = set()
        first: list[_Doc] = []
        rest: list[_Doc] = []
        for d in story.docs:
            (rest if d.meta.source in seen else first).append(d)
            seen.add(d.meta.source)
        picked = (first + rest)[:MAX_SUMMARY_ARTICLES]
        per_article = LONE_LEAD if len(picked) == 1 else SHARED_LEAD
        hits = []
        for d in picked:
            records = d.chunks[:1]
            # A lone article whose first chunk is short may hold its lead past it.
            if len(picked) == 1 and len(d.chunks) > 1 and len(lead_sentences(d.chunks[0].chunk.text, 4)) < 4:
                records = d.chunks[:2]
            hits += [
                Hit(chunk=r.chunk if whole_chunks else _head(r.chunk, per_article), article=d.meta, score=1.0)
                for r in records
            ]
        return number_sources(hits)

    def _prefetch(self, plans: Sequence[Sequence[Source]]) -> None:
        """With a caching embedder (as :mod:`qa.services` wires), embed every text the extractive
        engine will embed for the sections in one batch: one call costs about 40% less than a
        call per section, whose short and long texts pad each other. Only a cache warms up here;
        what the engine embeds is unchanged."""
        if not isinstance(self.embedder, CachedEmbedder):
            return
        texts: dict[str, None] = {" ": None}
        for sources in plans:
            for src in sources:
                texts[src.hit.article.title] = None
                chunk = src.hit.chunk.text
                texts.update((chunk[a:b], None) for a, b in sentence_spans(chunk) if usable(chunk[a:b]))
        self.embedder.embed(list(texts))

    def _section(self, day: dt.date, story: _Story, sources: list[Source]) -> tuple[BriefingSection, str, str | None]:
        texts: dict[str, str | None] = {}

        def article_text(article_id: str) -> str | None:
            if article_id not in texts:
                a = self.store.get_article(article_id)
                texts[article_id] = a.text if a else None
            return texts[article_id]

        headline: str | None = None
        note: str | None = None
        engine = self.engine
        verified: VerifiedAnswer | None = None
        if isinstance(engine, BriefingEngine):
            try:
                headline, draft = engine.briefing(day.isoformat(), sources)
                verified = self._verify(draft, sources, article_text)
            except EngineError as exc:
                if self.fallback is None:
                    raise
                log.warning("engine %s failed on a briefing (%s); falling back", engine.name, exc)
                note = f"{engine.name} engine failed ({exc}); summarized by {self.fallback.name}"
                engine, headline = self.fallback, None
            if verified is not None and verified.abstained and self.fallback is not None:
                note = (
                    f"{engine.name} engine gave no verifiable summary for a story; summarized by {self.fallback.name}"
                )
                engine, verified, headline = self.fallback, None, None
        if verified is None:
            draft = engine.summarize(None, sources, max_sentences=SUMMARY_SENTENCES)
            draft = self._other_outlets(story, draft, sources)
            verified = self._verify(draft, sources, article_text)
        headline = _clean_headline(headline) or story.docs[0].meta.title
        section = BriefingSection(
            headline=headline,
            summary=NO_SUMMARY if verified.abstained else verified.text,
            citations=[] if verified.abstained else [CitationOut(**c.model_dump()) for c in verified.citations],
            article_ids=[d.meta.id for d in story.docs],
            articles=[BriefingArticle.of(d.meta) for d in story.docs],
        )
        return section, engine.name, note

    def _verify(
        self, draft: Draft, sources: Sequence[Source], article_text: Callable[[str], str | None]
    ) -> VerifiedAnswer:
        """Verify like ``/ask``, keeping at most :data:`SUMMARY_SENTENCES` sentences that pass."""
        passing = [
            s
            for s in draft.sentences
            if not verify(
                draft.model_copy(update={"sentences": [s]}), sources, article_text, min_support=self.min_support
            ).abstained
        ][:SUMMARY_SENTENCES]
        kept = draft.model_copy(update={"sentences": passing})
        return verify(kept, sources, article_text, min_support=self.min_support)

    def _other_outlets(self, story: _Story, draft: Draft, sources: list[Source]) -> Draft:
        """If a story told by several outlets got a summary citing one of them, add the most
        central sentence of another outlet's lead that says something the summary does not
        (replacing the summary's last sentence if it is full). Appends its source to ``sources``."""
        outlet = {s.n: s.hit.article.source for s in sources}
        cited = {outlet[n] for s in draft.sentences for n in s.cites if n in outlet}
        if draft.abstained or len(cited) != 1 or len(story.outlets) < 2:
            return draft
        # What the cited outlet printed, so a wire copy's identical sentences count as nothing new.
        printed = " ".join(normalize_ws(r.chunk.text) for d in story.docs if d.meta.source in cited for r in d.chunks)
        candidates: list[tuple[str, ChunkRecord, ArticleMeta]] = []
        for d in story.docs:
            if d.meta.source not in cited:
                text = d.chunks[0].chunk.text
                for a, b in sentence_spans(text):
                    if usable(text[a:b]) and normalize_ws(text[a:b]) not in printed:
                        candidates.append((text[a:b], d.chunks[0], d.meta))
        if not candidates:
            return draft
        chosen = draft.sentences
        vecs = self.embedder.embed([c.text for c in chosen] + [c[0] for c in candidates])
        chosen_v, cand_v = vecs[: len(chosen)], vecs[len(chosen) :]
        centroid = np.stack([d.vec for d in story.docs if d.vec is not None]).mean(axis=0)
        best: tuple[float, int] | None = None
        for k, (text, _, _) in enumerate(candidates):
            if any(float(cand_v[k] @ v) >= REDUNDANT_COSINE for v in chosen_v):
                continue  # says what the summary says
            if any(_jaccard(content_tokens(text), content_tokens(c.text)) >= 0.5 for c in chosen):
                continue
            score = round(float(cand_v[k] @ centroid), 4)
            if best is None or score > best[0]:
                best = (score, k)
        if best is None:
            return draft
        text, record, meta = candidates[best[1]]
        n = max(outlet, default=0) + 1
        sources.append(Source(n=n, hit=Hit(chunk=record.chunk, article=meta, score=1.0)))
        keep = chosen if len(chosen) < SUMMARY_SENTENCES else chosen[:-1]
        return draft.model_copy(update={"sentences": [*keep, DraftSentence(text=text, cites=[n], quotes={n: text})]})


def _head(chunk: Chunk, n: int) -> Chunk:
    """The chunk cut after its ``n``-th usable sentence: still a verbatim span of the article."""
    text = chunk.text
    count = 0
    for s, e in sentence_spans(text):
        if usable(text[s:e]):
            count += 1
            if count == n:
                return chunk.model_copy(update={"text": text[:e], "end": chunk.start + e})
    return chunk


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _sentence_case(title: str) -> bool:
    """True unless the title capitalises most words ("Council Passes Transit Budget")."""
    words = [w for w in _WORD.findall(title)[1:] if w.lower() not in _NOT_NAMES]
    return not words or sum(w[0].isupper() for w in words) / len(words) < 0.6


def _clean_headline(text: str | None) -> str | None:
    if not text:
        return None
    # Plain text: no links, images or HTML (strip_markup), no emphasis, no heading marks.
    clean = re.sub(r"\*+|`+|(?<!\w)_+|_+(?!\w)", "", strip_markup(text))
    clean = re.sub(r"^\s*#+\s*", "", normalize_ws(clean)).strip(" \"'“”")
    return clean[:200] or None
