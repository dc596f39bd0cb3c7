"""What a story's summary is drafted from, and how a draft becomes a verified summary.

The engine sees the leads of the story's reporting articles (news is written most important
first), cut into spans that leave out what is not news (:func:`qa.briefing.news.newsworthy`):
an editor's note or a rhetorical question never reaches the engine, so it can never be stated.
Opinion pieces are left out too unless the story has nothing else. Every span is verbatim in its
article, so citations verify exactly like ``/ask``'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from qa.briefing import headlines, news
from qa.briefing.clustering import Doc, names_of
from qa.briefing.lead_style import lead_style
from qa.briefing.news import DASHES, newsworthy, sets_a_scene
from qa.briefing.ranking import Story
from qa.citations import VerifiedAnswer, verify
from qa.embeddings import CachedEmbedder, Embedder
from qa.engines.base import Draft, DraftSentence, Source, number_sources
from qa.models import ArticleMeta, Chunk, Hit
from qa.prose import CLAUSE_ANAPHOR, DANGLING, leans_on_previous, quoted_share, usable
from qa.store.protocol import ChunkRecord
from qa.text import content_tokens, jaccard, normalize_ws, sentence_spans, teaser

# Room by substance: an editor's read of busy days found the fourth sentence of a story, and the
# top story's sixth, mostly filler or a fact told again.
SUMMARY_SENTENCES = 3
# The top story is given more room, on the page and in its summary: the day's main story is the
# one a reader wants told in full, and it is usually told by the most articles.
TOP_SUMMARY_SENTENCES = 5
MAX_SUMMARY_ARTICLES = 6  # leads shown to the engine per story; more repeat the same facts
LONE_LEAD = 4  # news sentences of a lone article shown to the engine
SHARED_LEAD = 3  # ... and of each article of a story several articles tell
TOP_LEAD = 2  # ... times this for the top story
REDUNDANT_COSINE = 0.8  # the extractive engine's own "says the same thing" bound
# How much more like a report's lead (probability) a later sentence must read to open a story
# whose articles' leads report no event.
STYLE_MARGIN = 0.2
_LEAD = re.compile(r"^.*?\[\d+\](?:\s*\[\d+\])*")


# A dateline on a line of its own ("CNN —"): on a scraped page, what comes before it is furniture.
_DATELINE_LINE = re.compile(rf"^[ \t]*[A-Z][A-Za-z.'’ ,-]{{1,40}}[ \t]+[{DASHES}]{{1,2}}[ \t]*$", re.M)
_DATELINE_WITHIN = 600
# USA Today's "AI-assisted summary" box at an article's top: the label and three machine-written
# points, one a paragraph, before the reporting starts. None of it is the outlet's reporting.
_AI_SUMMARY = re.compile(r"AI[-\s]assisted\s+summary\b", re.I)
_AI_SUMMARY_WITHIN = 300
AI_SUMMARY_POINTS = 3
# "Read here." after a sentence makes that sentence the blurb of a link, not a fact of the story.
_LINK_PROMPT = re.compile(r"^\W*(read|see|watch|listen)(\s+(it|more|the\s+\w+(\s+\w+)?))?\s+here\b", re.I)
_LEFT_OVER = DASHES + "◾◼•▪●■◆►▶ \t\n\u2060\u200b\u200c\u200d\ufeff"
# "Its active users have skyrocketed …", "If it fail to do so by the deadline, …": whose, and what
# "it" is, the sentence before said (the engine's reader keeps prose.DANGLING as its trained
# features read it).
_WHOSE = re.compile(r"^(?:Its|His|Her|Their)\b")
MAX_SCENE_SENTENCES = 3  # scene-setting sentences skipped at most at the top of an article


def news_spans(chunk: Chunk, limit: int | None, year: int | None = None) -> list[Chunk]:
    """The chunk's first ``limit`` news sentences (all if None) as verbatim spans of it: runs of
    consecutive sentences, split wherever a sentence that is not news sits between them (for an
    article of ``year``, background framed in an earlier year is not news either)."""
    text = chunk.text
    runs: list[tuple[int, int]] = []
    count = 0
    open_run: tuple[int, int] | None = None
    story_start = 0
    skipped_scenes = 0
    top = chunk.start == 0  # at the article's top, before its first sentence with an actor
    if top:  # an article's opening: page furniture may come before the story
        if box := _AI_SUMMARY.search(text, 0, _AI_SUMMARY_WITHIN):
            story_start = _paragraphs_after(text, box.start(), AI_SUMMARY_POINTS)
        elif m := _DATELINE_LINE.search(text, 0, _DATELINE_WITHIN):
            story_start = m.end()
        elif (cut := text.find("\n\n")) > 0 and teaser(text[:cut], text[cut:]):
            story_start = cut  # the lead would be told twice
    spans = sentence_spans(text, join_lowercase=True)
    for k, (a, b) in enumerate(spans):
        if b <= story_start:
            continue
        # "The full report was published in 2021. Read here.": a link's blurb.
        blurb = k + 1 < len(spans) and bool(_LINK_PROMPT.match(text[spans[k + 1][0] : spans[k + 1][1]]))
        a = max(a, story_start + len(text[story_start:b]) - len(text[story_start:b].lstrip()))
        # What a dateline on the line before left at the start (its dash, invisible joiners), or
        # a list's bullet.
        a += len(text[a:b]) - len(text[a:b].lstrip(_LEFT_OVER))
        sentence = text[a:b]
        # A sentence leaning on one before it ("It is also…") cannot open a lead either, nor one
        # that only sets a scene (the article's first few sentences only).
        if (
            top
            and skipped_scenes < MAX_SCENE_SENTENCES
            and (sets_a_scene(sentence, names_of([sentence])) or news.hooks_the_reader(sentence))
        ):
            skipped_scenes += 1
            continue
        # An article's opening may frame the story in a past year (a feature's "In 2019, the city
        # council…"); further down, a past year is background that would read as the day's news.
        dated = year if count or chunk.start != 0 else None
        leans = DANGLING.match(sentence) or _WHOSE.match(sentence) or CLAUSE_ANAPHOR.match(sentence)
        if blurb or not newsworthy(sentence, dated) or (leans and open_run is None):
            if open_run is not None:
                runs.append(open_run)
                open_run = None
            continue
        top = False
        open_run = (open_run[0], b) if open_run else (a, b)
        if usable(sentence):
            count += 1
            if limit is not None and count == limit:
                break
    if open_run is not None:
        runs.append(open_run)
    return [
        chunk.model_copy(update={"text": text[a:b], "start": chunk.start + a, "end": chunk.start + b}) for a, b in runs
    ]


def _paragraphs_after(text: str, start: int, n: int) -> int:
    """Where the ``n``-th paragraph from ``start`` ends (the text's end if it has fewer)."""
    at = start
    for _ in range(n):
        cut = text.find("\n\n", at)
        if cut < 0:
            return len(text)
        at = cut + 2
    return at


def sources_for(story: Story, whole_chunks: bool = False, top: bool = False) -> list[Source]:
    """The leads of the story's reporting articles, one per outlet first (most central first),
    then the rest; longer leads for the ``top`` story. An engine that writes the section itself
    (the LLM) gets whole first chunks, less what is not news."""
    seen: set[str | None] = set()
    first: list[Doc] = []
    rest: list[Doc] = []
    for d in story.reporting:
        (rest if d.meta.source in seen else first).append(d)
        seen.add(d.meta.source)
    picked = (first + rest)[:MAX_SUMMARY_ARTICLES]
    per_article = (LONE_LEAD if len(picked) == 1 else SHARED_LEAD) * (TOP_LEAD if top else 1)
    hits = []
    for d in picked:
        records = d.chunks[:1]
        # A lone article whose first chunk is short may hold its lead past it, as may a top story's.
        short = len(news_spans(d.chunks[0].chunk, LONE_LEAD)) < 2
        if len(picked) == 1 and len(d.chunks) > 1 and (short or top):
            records = d.chunks[:2]
        limit = None if whole_chunks else per_article
        year = d.meta.published_date.year if d.meta.published_date else None
        hits += [
            Hit(chunk=span, article=d.meta, score=1.0) for r in records for span in news_spans(r.chunk, limit, year)
        ]
    return number_sources(hits)


def prefetch(embedder: Embedder, plans: Sequence[Sequence[Source]]) -> None:
    """With a caching embedder (as :mod:`qa.services` wires), embed every text the extractive
    engine will embed for the sections in one batch: one call costs about 40% less than a call
    per section, whose short and long texts pad each other. Only a cache warms up here."""
    if not isinstance(embedder, CachedEmbedder):
        return
    texts: dict[str, None] = {" ": None}
    for sources in plans:
        for src in sources:
            texts[src.hit.article.title] = None
            chunk = src.hit.chunk.text
            texts.update(
                (chunk[a:b], None) for a, b in sentence_spans(chunk, join_lowercase=True) if usable(chunk[a:b])
            )
    embedder.embed(list(texts))


def verify_kept(
    draft: Draft,
    sources: Sequence[Source],
    article_text: Callable[[str], str | None],
    min_support: float,
    most: int = SUMMARY_SENTENCES,
) -> VerifiedAnswer:
    """Verify like ``/ask``, keeping at most ``most`` sentences that pass and are news (an engine
    writing freely may still quote a housekeeping line)."""

    def passes(s: DraftSentence) -> bool:
        one = draft.model_copy(update={"sentences": [s]})
        return newsworthy(s.text) and not verify(one, sources, article_text, min_support=min_support).abstained

    drafted: dict[str, DraftSentence] = {}  # a completed quote may repeat a sentence drafted whole
    for s in draft.sentences:
        c = completed(s, sources)
        drafted.setdefault(normalize_ws(c.text), c)
    passing = [s for s in drafted.values() if passes(s)][:most]
    kept = draft.model_copy(update={"sentences": passing})
    return verify(kept, sources, article_text, min_support=min_support)


# An engine that stopped a quote early ("…munitions to Ukraine due") wrote at least this share of
# the sentence it quoted; a shorter start ("The decision was made") says too little to stand for it.
COMPLETE_SHARE = 0.5


def completed(s: DraftSentence, sources: Sequence[Source]) -> DraftSentence:
    """A draft sentence cut short (not a whole sentence) that is the verbatim start of a sentence
    of a source it cites is that whole sentence, quoted from there."""
    if newsworthy(s.text):
        return s
    claim = normalize_ws(s.text)
    for src in sources:
        if src.n not in s.cites:
            continue
        text = src.hit.chunk.text
        for a, b in sentence_spans(text, join_lowercase=True):
            whole = normalize_ws(text[a:b])
            if whole.startswith(claim) and len(claim) >= COMPLETE_SHARE * len(whole):
                return s.model_copy(update={"text": text[a:b], "quotes": {src.n: text[a:b]}})
    return s


def lead_first(
    draft: Draft,
    sources: Sequence[Source] = (),
    most: int = SUMMARY_SENTENCES,
    headline: str = "",
    embedder: Embedder | None = None,
) -> Draft:
    """Open with the sentence that best tells what happened.

    That is an article's own lead (its first news sentence, which a reporter writes to say who
    did what and when) that plainly reports an event: filed from the scene or naming the day
    (:func:`qa.briefing.news.reports_event`); on a tie the lead of the article the ``headline``
    was taken from, so lead and headline tell one event, then the most central. It opens the
    summary even if the engine did not pick it (then the summary's last sentence makes room, when
    full). With no such lead, the first sentence not mostly a quote and not leaning on another
    ("It is also…") opens, unless another such sentence reads plainly more like a report's lead
    (:mod:`qa.briefing.lead_style`, by ``embedder``): then that one. The rest keep their order,
    less any preview of what the lead reports as done (:func:`qa.briefing.news.stale_preview`)."""
    sentences = list(draft.sentences)
    lead = best_lead(sources, headline)
    if lead is not None and not draft.abstained:
        text, n = lead
        key = normalize_ws(text)
        at = next((i for i, s in enumerate(sentences) if normalize_ws(s.text) == key), None)
        if at is None:
            # What the engine picked that says what the lead says goes; then the last makes room.
            told = content_tokens(text)
            sentences = [s for s in sentences if jaccard(content_tokens(s.text), told) < 0.5]
            sentences = sentences[: most - 1]
            sentences.insert(0, DraftSentence(text=text, cites=[n], quotes={n: text}))
        else:
            sentences.insert(0, sentences.pop(at))
        return draft.model_copy(update={"sentences": _without_stale_previews(sentences)})
    can_open = [i for i, s in enumerate(sentences) if quoted_share(s.text) <= 0.4 and not DANGLING.match(s.text)]
    k = can_open[0] if can_open else 0
    if embedder is not None and can_open:
        k = _reads_as_report(embedder, sentences, can_open, sources)
    if k:
        sentences.insert(0, sentences.pop(k))
    return draft.model_copy(update={"sentences": _without_stale_previews(sentences)})


# A sentence that refers back ("The retailer told…", "In addition, 10 other nominees…", "On top of a
# pandemic, the new President…") or opens on a label ("Spotted Model: Cars & Tech uploaded…")
# needs what stood before it, so it does not move to the top.
_REFERS_BACK = re.compile(
    r"^(?:(?:The|This|These|Those|Such)\s+[a-z]|(?:In addition|Additionally|Meanwhile|On top of|Well|Inside|Instead|"
    r"Published|Otherwise|Earlier|Later|Now|Then|Even so|Still)\b)"
)
_LABEL_WITHIN = 5  # words before a colon that make a sentence open on a label


def _may_lead(sentence: DraftSentence, published: dict[int, int]) -> bool:
    """Whether a later sentence can open a story on its own: it refers back to nothing, opens on
    no label, quotes nothing, and names no year before its article's (``published``: each
    source number's year; background)."""
    text = sentence.text
    if leans_on_previous(text) or CLAUSE_ANAPHOR.match(text) or _REFERS_BACK.match(text) or quoted_share(text) > 0:
        return False
    if ":" in " ".join(text.split()[:_LABEL_WITHIN]):
        return False
    years = [published[n] for n in sentence.cites if n in published]
    return not (years and any(int(y) < min(years) for y in news.YEAR.findall(text)))


def _reads_as_report(
    embedder: Embedder, sentences: list[DraftSentence], can_open: list[int], sources: Sequence[Source]
) -> int:
    """Which sentence opens a story none of whose leads reports an event: the first that can,
    unless a later one that may lead on its own reads plainly more like a report's lead
    (:mod:`qa.briefing.lead_style`) than a feature's scene or anecdote does."""
    first = can_open[0]
    published = {s.n: d.year for s in sources if (d := s.hit.article.published_date)}
    movable = [i for i in can_open[1:] if _may_lead(sentences[i], published)]
    style = lead_style(embedder, [sentences[i].text for i in [first, *movable]]) if movable else None
    if style is None or style[1:].max() < style[0] + STYLE_MARGIN:
        return first
    return movable[int(style[1:].argmax())]


def _without_stale_previews(sentences: list[DraftSentence]) -> list[DraftSentence]:
    if not sentences:
        return sentences
    lead = sentences[0].text
    return [sentences[0]] + [s for s in sentences[1:] if not news.stale_preview(s.text, lead)]


def best_lead(sources: Sequence[Source], headline: str = "") -> tuple[str, int] | None:
    """The article lead (first news sentence of an article's top) that most plainly reports an
    event, with its source number; None if none names a day or a dateline. A tie goes to the
    article the headline comes from, then to the most central (sources come in that order).
    Where the best such lead is a preview or a reaction, a lead that tells the outcome in the past
    ("The Eagles demolished the Chiefs in Super Bowl 59") opens instead, day or no day."""
    best: tuple[tuple[bool, int, bool], str, int] | None = None
    done: tuple[str, int] | None = None
    seen: set[str] = set()
    for src in sorted(sources, key=lambda s: s.n):
        article, chunk = src.hit.article.id, src.hit.chunk
        if article in seen:
            continue
        seen.add(article)
        if chunk.position != 0 or news.is_opinion(src.hit.article):
            continue
        first = next(
            (chunk.text[a:b] for a, b in sentence_spans(chunk.text, join_lowercase=True) if usable(chunk.text[a:b])),
            None,
        )
        if first is None or quoted_share(first) > 0.4 or DANGLING.match(first) or not newsworthy(first):
            continue
        event = news.reports_event(first)
        # What happened beats a preview of it or a reaction to it, whatever else the lead has.
        outcome = not news.looks_ahead_or_reacts(first)
        score = (outcome, event, bool(headline) and headlines.choose([src.hit.article.title]) == headline)
        if event and (best is None or score > best[0]):
            best = (score, first, src.n)
        if done is None and not event and news.tells_outcome(first):
            done = (first, src.n)
    if best is not None and not best[0][0] and done is not None:
        return done
    return (best[1], best[2]) if best else None


def lead_of(summary: str) -> str:
    """The summary's first sentence with its markers: what happened, in one cited line."""
    m = _LEAD.match(summary)
    return m.group().strip() if m else ""


def other_outlets(
    embedder: Embedder, story: Story, draft: Draft, sources: list[Source], most: int = SUMMARY_SENTENCES
) -> Draft:
    """If a story told by several outlets got a summary citing one of them, add the most central
    news sentence of another outlet's lead that says something the summary does not (replacing
    the summary's last sentence if it is full). Appends its source to ``sources``."""
    outlet = {s.n: s.hit.article.source for s in sources}
    cited = {outlet[n] for s in draft.sentences for n in s.cites if n in outlet}
    if draft.abstained or len(cited) != 1 or len({d.meta.source for d in story.reporting}) < 2:
        return draft
    candidates = _other_outlets_leads(story, cited)
    best = _most_central_new(embedder, story, draft.sentences, [c[0] for c in candidates])
    if best is None:
        return draft
    text, record, meta = candidates[best]
    n = max(outlet, default=0) + 1
    sources.append(Source(n=n, hit=Hit(chunk=record.chunk, article=meta, score=1.0)))
    keep = draft.sentences if len(draft.sentences) < most else draft.sentences[:-1]
    return draft.model_copy(update={"sentences": [*keep, DraftSentence(text=text, cites=[n], quotes={n: text})]})


def _other_outlets_leads(story: Story, cited: set[str | None]) -> list[tuple[str, ChunkRecord, ArticleMeta]]:
    """The news sentences of the other outlets' first chunks that the cited outlet did not print
    (a wire copy's identical sentences count as nothing new)."""
    printed = " ".join(normalize_ws(r.chunk.text) for d in story.reporting if d.meta.source in cited for r in d.chunks)
    candidates: list[tuple[str, ChunkRecord, ArticleMeta]] = []
    for d in story.reporting:
        if d.meta.source in cited:
            continue
        text = d.chunks[0].chunk.text
        for a, b in sentence_spans(text, join_lowercase=True):
            s = text[a:b]
            if usable(s) and newsworthy(s) and normalize_ws(s) not in printed:
                candidates.append((s, d.chunks[0], d.meta))
    return candidates


def _most_central_new(
    embedder: Embedder, story: Story, chosen: Sequence[DraftSentence], texts: list[str]
) -> int | None:
    """Of ``texts``, the one closest to the story's centroid that repeats no chosen sentence."""
    if not texts:
        return None
    vecs = embedder.embed([c.text for c in chosen] + texts)
    chosen_v, cand_v = vecs[: len(chosen)], vecs[len(chosen) :]
    centroid = np.stack([d.vec for d in story.docs if d.vec is not None]).mean(axis=0)
    best: tuple[float, int] | None = None
    for k, text in enumerate(texts):
        if any(float(cand_v[k] @ v) >= REDUNDANT_COSINE for v in chosen_v):
            continue  # says what the summary says
        if any(jaccard(content_tokens(text), content_tokens(c.text)) >= 0.5 for c in chosen):
            continue
        score = round(float(cand_v[k] @ centroid), 4)
        if best is None or score > best[0]:
            best = (score, k)
    return None if best is None else best[1]
