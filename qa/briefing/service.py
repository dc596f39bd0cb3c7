"""The briefing service: the day's articles → stories → ranked, headlined, summarised sections.

A briefing covers the articles published on one day (by ``published_date``; undated articles are
in no briefing). Stories are grouped by :mod:`qa.briefing.clustering`, ordered by news value
(:mod:`qa.briefing.ranking`), headlined by :mod:`qa.briefing.headlines` (or by the LLM engine,
its headline verified to be about the story), and summarised by the engine over their articles'
news sentences (:mod:`qa.briefing.drafting`), verified exactly like ``/ask``. Built briefings of
past days are cached (:mod:`qa.briefing.cache`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from qa.briefing import headlines, news
from qa.briefing.cache import BriefingCache, Entry, cache_key
from qa.briefing.clustering import THRESHOLD, VECTOR_CHUNKS, Doc, group, make_doc
from qa.briefing.conflicts import conflicts
from qa.briefing.drafting import (
    SUMMARY_SENTENCES,
    TOP_SUMMARY_SENTENCES,
    lead_first,
    lead_of,
    other_outlets,
    prefetch,
    sources_for,
    verify_kept,
)
from qa.briefing.ranking import Story, rank
from qa.citations import VerifiedAnswer, support
from qa.embeddings import Embedder
from qa.engines.base import Draft, Engine, Source, identity_of
from qa.engines.fallback import first_usable, primary_of, with_fallback
from qa.models import ArticleMeta, SearchFilters, embedding_text
from qa.schemas import Briefing, BriefingArticle, BriefingLink, BriefingSection, CitationOut
from qa.store.protocol import DocumentStore
from qa.text import addressed_to_model

DEFAULT_MAX_SECTIONS = 10
NO_SUMMARY = "No summary could be verified for this story; see its articles below."
HEADLINE_SUPPORT = 0.5  # share of an engine headline's content words the story's titles and leads hold


FULL_STORIES = 5  # stories told in full; an editor's busy-day briefing holds about five


def aside_kind(story: Story) -> Literal["news", "service", "roundup", "opinion"]:
    """How a story is shown: "news" is told in full (while room lasts); a round-up, a service piece
    (deals, how to watch, rankings) or a column is listed as a link."""
    if all(news.is_roundup(d.meta) for d in story.docs):
        return "roundup"
    if story.opinion:
        return "opinion"
    if all(news.SOFT_TITLE.search(d.meta.title) for d in story.docs):
        return "service"
    return "news"


def _link(story: Story, kind: Literal["news", "service", "roundup", "opinion"]) -> BriefingLink:
    return BriefingLink(
        headline=story.headline,
        article_ids=[d.meta.id for d in story.docs],
        articles=[BriefingArticle.of(d.meta, news.is_opinion(d.meta)) for d in story.docs],
        kind=kind,
    )


@runtime_checkable
class BriefingEngine(Protocol):
    """An engine that writes a briefing section itself (headline included), like the LLM engine."""

    name: str

    def briefing(self, day: str, sources: Sequence[Source]) -> tuple[str | None, Draft]: ...


class BriefingService:
    """Builds briefings with the configured engine (a :class:`~qa.engines.fallback.FallbackEngine`
    when it may fail). A story falls back on its own, when its engine fails on it or writes no
    verifiable summary of it."""

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
        cache_path: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.store = store
        self.embedder = embedder
        # A fallback given apart (tests, embedding code) is wired the way Services wires it.
        self.engine = with_fallback(engine, fallback)
        self.min_support = min_support
        self.threshold = threshold
        self.today = today
        self.hits = 0  # cache statistics, for tests and logs
        self.misses = 0
        self.cache = BriefingCache(cache_path, cache_size)
        self._lock = threading.Lock()
        self._latest: tuple[tuple[str, dt.date], dict[tuple[str, ...] | None, dt.date | None]] | None = None

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
        key = self._key(day, wanted, max_sections)
        cacheable = day < self.today()  # today's news is still coming in
        entry = self.cache.get(key) if cacheable else None
        if entry is not None and entry.revision == revision:
            return self._hit(entry)
        metas = self._day_articles(day)
        fingerprint = self._fingerprint(metas)
        if entry is not None and entry.fingerprint == fingerprint:
            self.cache.confirm(key, entry, revision)
            return self._hit(entry)
        with self._lock:
            self.misses += 1
        chosen = [m for m in metas if wanted is None or (m.source or "") in wanted]
        briefing = self._compute(day, chosen, wanted, max_sections)
        # A briefing an engine could not fully write (it fell back) is not kept: next time it may.
        if cacheable and not briefing.notes:
            self.cache.put(key, Entry(revision, fingerprint, briefing.model_copy(deep=True)))
        return briefing

    def clear_cache(self) -> None:
        self.cache.clear()

    def _hit(self, entry: Entry) -> Briefing:
        with self._lock:
            self.hits += 1
        return entry.briefing.model_copy(deep=True)

    def _key(self, day: dt.date, wanted: tuple[str, ...] | None, max_sections: int) -> str:
        return cache_key(day.isoformat(), wanted, max_sections, identity_of(self.engine))

    # -- store reads -----------------------------------------------------------------------------

    def _day_articles(self, day: dt.date) -> list[ArticleMeta]:
        metas = self.store.list_articles(SearchFilters(since=day, until=day), limit=None)
        return sorted((m for m in metas if m.published_date == day), key=lambda m: m.id)

    def _fingerprint(self, metas: Sequence[ArticleMeta]) -> str:
        # The day's articles' versions, read by id: a write to another day costs no full scan.
        versions = {aid: v for aid, (_, v) in self.store.article_metas([m.id for m in metas]).items()}
        h = hashlib.sha1()
        for m in metas:  # sorted by id
            fields = (m.id, versions.get(m.id, "?"), m.title, m.source or "", m.url or "", str(m.published))
            h.update("\x1f".join(fields).encode("utf-8"))
            h.update(b"\x1e")
        return h.hexdigest()

    def _latest_day(self, revision: str, wanted: tuple[str, ...] | None) -> dt.date | None:
        """The latest day with articles, up to today: an article dated ahead (by mistake, or to
        pin the front page) waits for its day."""
        today = self.today()
        with self._lock:
            if self._latest is not None and self._latest[0] == (revision, today) and wanted in self._latest[1]:
                return self._latest[1][wanted]
        filters = SearchFilters(source=list(wanted) if wanted else None, until=today)
        # Newest first, undated last: the first article listed is of the latest day, if any is dated.
        newest = self.store.list_articles(filters, limit=1)
        latest = newest[0].published_date if newest else None
        with self._lock:
            if self._latest is None or self._latest[0] != (revision, today):
                self._latest = ((revision, today), {})
            self._latest[1][wanted] = latest
        return latest

    # -- building --------------------------------------------------------------------------------

    def _empty(self, day: dt.date | None, wanted: tuple[str, ...] | None) -> Briefing:
        from qa.briefing.render import to_markdown

        outlets = f" from {', '.join(wanted)}" if wanted else ""
        if day is None:
            # None up to today; any dated ahead of it wait for their day (see _latest_day).
            ahead = self.store.list_articles(SearchFilters(source=list(wanted) if wanted else None), limit=1)
            first = ahead[0].published_date if ahead else None
            if first is not None:
                message = (
                    f"No articles{outlets} are dated today or earlier; the latest is dated {first.isoformat()}, "
                    "ahead of today: ask for that date to see its briefing."
                )
            else:
                message = f"No dated articles{outlets} are stored, so there is no briefing."
        else:
            message = f"No articles{outlets} were published on {day.isoformat()}."
        briefing = Briefing(date=day, sections=[], markdown="", message=message, engine=self.engine.name)
        briefing.markdown = to_markdown(briefing)
        return briefing

    def _compute(
        self, day: dt.date, metas: Sequence[ArticleMeta], wanted: tuple[str, ...] | None, max_sections: int
    ) -> Briefing:
        from qa.briefing.render import to_markdown

        docs = self._docs(metas)
        if not docs:
            return self._empty(day, wanted)
        stories = [Story(members) for members in group(docs, self.threshold)]
        for story in stories:
            story.headline = headlines.choose([d.meta.title for d in story.reporting])
        stories = rank(stories)
        listed = stories[:max_sections]
        # Told in full: the first few news stories. Service pieces, round-ups, columns and the rest
        # are links under "Also today", in rank order: a busy day is read in a minute, not ten.
        shown = [st for st in listed if aside_kind(st) == "news"][:FULL_STORIES] or listed[:1]  # never none
        also = [_link(st, aside_kind(st)) for st in listed if not any(st is told for told in shown)]
        notes: list[str] = []
        engines: set[str] = set()
        sections = []
        whole = isinstance(primary_of(self.engine), BriefingEngine)
        planned = [(story, sources_for(story, whole_chunks=whole, top=k == 0)) for k, story in enumerate(shown)]
        if not whole:
            prefetch(self.embedder, [src for _, src in planned])
        for k, (story, sources) in enumerate(planned):
            most = TOP_SUMMARY_SENTENCES if k == 0 else SUMMARY_SENTENCES
            section, engine_name, note = self._section(day, story, sources, most)
            sections.append(section)
            engines.add(engine_name)
            if note:
                notes.append(note)
        # A story with no summary that could be verified is a link like the rest, unless it is all
        # there is: a section that only says "see its articles" reads as broken.
        unsaid = [k for k, sec in enumerate(sections) if sec.summary == NO_SUMMARY]
        if unsaid and len(unsaid) < len(sections):
            also = [_link(shown[k], "news") for k in unsaid] + also
            sections = [sec for k, sec in enumerate(sections) if k not in unsaid]
        n_outlets = len({d.meta.source or "" for d in docs})
        message = (
            f"{len(stories)} {'story' if len(stories) == 1 else 'stories'} from {len(docs)} "
            f"article{'s' if len(docs) != 1 else ''} by {n_outlets} outlet{'s' if n_outlets != 1 else ''}"
        )
        if also:
            message += f"; {len(sections)} told in full, {len(also)} more listed under Also today"
        if len(listed) < len(stories):
            message += f"; the {len(listed)} most newsworthy are shown"
        engine = self.engine.name if self.engine.name in engines or not engines else sorted(engines)[0]
        briefing = Briefing(
            date=day,
            sections=sections,
            also=also,
            markdown="",
            message=message + ".",
            engine=engine,
            notes=list(dict.fromkeys(notes)),
        )
        briefing.markdown = to_markdown(briefing)
        return briefing

    def _docs(self, metas: Sequence[ArticleMeta]) -> list[Doc]:
        docs = []
        for m in metas:
            chunks = self.store.article_chunks(m.id)
            if chunks:  # else deleted since it was listed
                docs.append(make_doc(m, chunks))
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

    def _section(
        self, day: dt.date, story: Story, sources: list[Source], most: int
    ) -> tuple[BriefingSection, str, str | None]:
        texts: dict[str, str | None] = {}

        def article_text(article_id: str) -> str | None:
            if article_id not in texts:
                a = self.store.get_article(article_id)
                texts[article_id] = a.text if a else None
            return texts[article_id]

        def write(engine: Engine) -> tuple[str | None, VerifiedAnswer]:
            if isinstance(engine, BriefingEngine):  # it writes the section, headline included
                headline, draft = engine.briefing(day.isoformat(), sources)
                return headline, verify_kept(draft, sources, article_text, self.min_support, most)
            draft = engine.summarize(None, sources, max_sentences=most)
            draft = lead_first(
                other_outlets(self.embedder, story, draft, sources, most),
                sources,
                most,
                story.headline,
                self.embedder,
            )
            verified = verify_kept(draft, sources, article_text, self.min_support, most)
            return _stated_answer(story.headline, draft, sources, verified), verified

        written = first_usable(
            self.engine,
            "briefing",
            write,
            usable=lambda w: not w[1].abstained,
            unusable="gave no verifiable summary for a story",
        )
        headline, verified = written.result
        summary = NO_SUMMARY if verified.abstained else verified.text
        opinion = story.opinion
        section = BriefingSection(
            headline=self._headline(headline, story),
            lead="" if verified.abstained else lead_of(summary),
            summary=summary,
            citations=[] if verified.abstained else [CitationOut(**c.model_dump()) for c in verified.citations],
            article_ids=[d.meta.id for d in story.docs],
            articles=[BriefingArticle.of(d.meta, news.is_opinion(d.meta)) for d in story.docs],
            kind="opinion" if opinion else "news",
            news_value=story.value,
            rank_reasons=story.reasons,
            conflicts=conflicts(story.reporting),
        )
        return section, written.engine.name, written.note

    @staticmethod
    def _headline(written: str | None, story: Story) -> str:
        """The engine's headline if it is plain, complete, not an instruction that an article gave
        the model, and verified against the story: its numbers and at least half its content words
        are in the articles' titles and leads.
        Else the one chosen from the titles."""
        clean = headlines.clean(written)
        if clean and not clean.endswith(("…", "...")) and not addressed_to_model(clean):
            told = " ".join(t for d in story.docs for t in (d.meta.title, *d.lead))
            if support(clean, told) >= HEADLINE_SUPPORT:
                return clean
        return story.headline


def _stated_answer(headline: str, draft: Draft, sources: Sequence[Source], verified: VerifiedAnswer) -> str | None:
    """Where the story's headline asks, the lead that answers its own article's question, as the
    headline (:func:`qa.briefing.headlines.answered`), if the verified summary still opens with
    it; the headline is then checked like an engine's."""
    if verified.abstained or not draft.sentences or not draft.sentences[0].cites:
        return None
    if not verified.text.startswith(draft.sentences[0].text):
        return None
    if "?" not in headline and not headlines.asks(headline):
        return None
    lead = draft.sentences[0]
    src = next((s for s in sources if s.n == lead.cites[0]), None)
    return headlines.answered(src.hit.article.title, lead.text) if src else None
