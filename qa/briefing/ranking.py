"""News value: which stories a reader should see first, with the reasons shown in the briefing.

A story's value adds up hand-set, named signals (no fitted weights: there are no labelled
briefings to fit them on, and the briefing eval must stay a check, not a training set):

- **coverage**: every outlet beyond the first +1, and 0.75·log2(articles), counting as one the
  articles that tell one text (a republication, a flood of variations: under a fifth of new words);
- **section** of the articles' URLs: hard news (news, politics, world…) +1, a local or state
  desk or the business desk +0.5, soft (entertainment, sports, food…) −1 unless the story is a
  disaster, opinion −1.5;
- **hard-news words** in the titles and leads: casualties, disaster (a power outage too) or war (and
  its diplomacy; in a title or first sentence, not background further down) +1.25, or else an
  election decided (a concession, a race won) +1.25, or else the economy (markets, prices, trade,
  strikes and layoffs) +0.75; officials or institutions +0.5, a dateline +0.5, numbers +0.25;
- **service and feature pieces**: a title that is a question −0.5, predictions, reviews, deals and
  the like −0.5;
- **round-ups** (a newsletter telling the day's stories in turn) −2: each of those stories is told
  by its own articles;
- **recency within the day** up to +0.25, when the articles carry times.

Ties go to more outlets, more articles, the latest report, then the headline's alphabetical
order: never to an article id.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.briefing import news
from qa.briefing.clustering import Doc

OUTLET = 1.0
ARTICLES = 0.75
# An article tells an earlier one's text again when under this share of its words are new to it.
# Over the 6,764 ordered pairs of same-day dev-corpus articles, 42 are under it, and they are
# republications (one wire story under two titles, a page stored twice); the median is 0.88.
# Random words of a small vocabulary bring none: 200 such articles from one sender, each different,
# had led a busy day's briefing, counted one by one. Vectors cannot tell these apart: 28 of 470
# sampled articles have a same-day neighbour at cosine 0.9 or more (p99 0.96), and some of those are
# different texts (two tariff stories at 0.93).
NEW_WORDS = 0.2
_TEXT_WORD = re.compile(r"[a-z]{3,}")
SECTION = {"hard": 1.0, "local": 0.5, "business": 0.5, "soft": -1.0, "opinion": -1.5, "unknown": 0.0}
SECTION_LABEL = {
    "hard": "hard-news section",
    "local": "local desk",
    "business": "business desk",
    "soft": "soft-news section",
    "opinion": "opinion",
}
CASUALTIES = 1.25
ELECTION = 1.25
ECONOMY = 0.75
OFFICIALS = 0.5
DATELINE = 0.5
NUMBERS = 0.25
QUESTION = -0.5
FEATURE = -0.5
ROUNDUP = -2.0
RECENCY = 0.25


@dataclass
class Story:
    docs: list[Doc]  # most central first
    headline: str = ""
    value: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def outlets(self) -> list[str]:
        return list(dict.fromkeys(d.meta.source or "unknown outlet" for d in self.docs))

    @property
    def latest(self) -> dt.datetime:
        return max(d.when for d in self.docs)

    @property
    def opinion(self) -> bool:
        """Told only by opinion or analysis pieces."""
        return all(news.is_opinion(d.meta) for d in self.docs)

    @property
    def reporting(self) -> list[Doc]:
        """The articles a news sentence may come from: not opinion pieces (unless all are)."""
        return [d for d in self.docs if not news.is_opinion(d.meta)] or self.docs


def _signed(x: float) -> str:
    return f"{x:+.2f}"


Signal = tuple[float, str]  # points, and the reason a reader is shown for them


def assess(story: Story, day_span: tuple[dt.datetime, dt.datetime] | None = None) -> None:
    """Set ``story.value`` and ``story.reasons``: every signal that applies, in a fixed order."""
    docs = story.reporting[:3]
    text = " ".join([d.meta.title for d in docs] + [s for d in docs for s in d.lead[:2]])
    # What happened is in the titles and first sentences; a later one's "9/11 terrorist attacks"
    # is background.
    told = " ".join([d.meta.title for d in docs] + [d.lead[0] for d in docs if d.lead])
    disaster = news.first_match(news.CASUALTIES, told)
    signals = [
        _coverage(story),
        *_section(story, disaster),
        *_event(text, told, disaster),
        *_form(story, docs),
        *_recency(story, day_span),
    ]
    value = 0.0
    for points, _ in signals:
        value += points
    story.value = round(value, 4)
    story.reasons = [f"{why} ({_signed(points)})" for points, why in signals]


def _words(d: Doc) -> frozenset[str]:
    """The words of its opening (title and first chunk; the leads where chunks are not at hand)."""
    opening = d.chunks[0].chunk.text[:1000] if d.chunks else " ".join(d.lead)
    return frozenset(_TEXT_WORD.findall(f"{d.meta.title} {opening}".lower()))


def distinct_texts(docs: Sequence[Doc]) -> int:
    """How many of ``docs`` tell a text of their own: one that brings under NEW_WORDS of new words
    to an earlier counted one tells that text again."""
    kept: list[frozenset[str]] = []
    for d in docs:
        words = _words(d)
        if not words or all(len(words - k) >= NEW_WORDS * len(words) for k in kept):
            kept.append(words)
    return len(kept)


def _coverage(story: Story) -> Signal:
    n_outlets, n_docs = len(story.outlets), len(story.docs)
    outlets = f"{n_outlets} outlet{'s' if n_outlets != 1 else ''}"
    distinct = distinct_texts(story.docs)
    points = OUTLET * (n_outlets - 1) + ARTICLES * math.log2(distinct)
    texts = "" if distinct == n_docs else f" ({distinct} distinct)"
    return points, f"{n_docs} article{'s' if n_docs != 1 else ''}{texts} from {outlets}"


_HARDEST_FIRST = ("hard", "local", "business", "unknown", "soft", "opinion")


def _section(story: Story, disaster: str | None) -> list[Signal]:
    """The hardest section any of its articles is filed in. A disaster is news whichever desk
    files it: a plane crash under /travel/news/ is not soft news."""
    kind, where = min((news.section_kind(d.meta) for d in story.docs), key=lambda k: _HARDEST_FIRST.index(k[0]))
    if SECTION[kind] and not (kind == "soft" and disaster is not None):
        return [(SECTION[kind], f"{SECTION_LABEL[kind]}: {where}")]
    return []


def _event(text: str, told: str, disaster: str | None) -> list[Signal]:
    """What kind of event: one of casualties, an election decided or the economy moving; and
    officials acting."""
    found: list[Signal] = []
    if disaster is not None:
        found.append((CASUALTIES, f"casualties, disaster or war: {disaster!r}"))
    elif (word := news.election_decided(text)) is not None:
        found.append((ELECTION, f"an election decided: {word!r}"))
    elif (word := news.first_match(news.ECONOMY, told)) is not None:
        found.append((ECONOMY, f"the economy: {word!r}"))
    if (word := news.first_match(news.OFFICIALS, text)) is not None:
        found.append((OFFICIALS, f"officials: {word!r}"))
    return found


def _form(story: Story, docs: Sequence[Doc]) -> list[Signal]:
    """How it is written: a dated report with figures in its lead, or a question, a feature, a
    round-up."""
    found: list[Signal] = []
    if any(d.lead and news.DATELINE.match(d.lead[0]) for d in docs):
        found.append((DATELINE, "dateline"))
    if any(news.first_match(news.NUMBERS, s) for d in docs for s in d.lead[:2]):
        found.append((NUMBERS, "numbers in the lead"))
    if all(news.QUESTION_TITLE.search(d.meta.title) for d in story.docs):
        found.append((QUESTION, "headline is a question"))
    if (word := news.first_match(news.SOFT_TITLE, " ".join(d.meta.title for d in story.docs))) is not None:
        found.append((FEATURE, f"feature or service piece: {word!r}"))
    if all(news.is_roundup(d.meta) for d in story.docs):
        found.append((ROUNDUP, "round-up of several stories"))
    return found


def _recency(story: Story, day_span: tuple[dt.datetime, dt.datetime] | None) -> list[Signal]:
    if day_span is None or day_span[1] <= day_span[0] or story.latest <= dt.datetime.min:
        return []
    share = (story.latest - day_span[0]) / (day_span[1] - day_span[0])
    if share <= 0:
        return []
    return [(RECENCY * share, "latest report of the day" if share == 1 else "reported later in the day")]


def rank(stories: Sequence[Story]) -> list[Story]:
    """Stories by news value, then outlets, articles, the latest report, the headline."""
    times = [d.when for s in stories for d in s.docs if d.when.time() != dt.time.min]
    span = (min(times), max(times)) if times else None
    for s in stories:
        assess(s, span)
    ordered = sorted(stories, key=lambda s: s.headline)
    return sorted(ordered, key=lambda s: (s.value, len(s.outlets), len(s.docs), s.latest), reverse=True)
