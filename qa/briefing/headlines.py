"""Headlines: complete, plain statements chosen from a story's titles.

Scraped titles are often cut by the page ("Tariffs on Mexico, Canada are delayed but levies cause
economic ...") or carry page labels ("Live updates: …", "… | CNN Politics"). A title that was cut
is repaired by cutting it back to its last complete phrase, never shown with "…".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.briefing.news import DASHES, DATELINE, QUESTION_TITLE, tells_outcome, words
from qa.text import content_tokens, normalize_ws, strip_markup

_LABEL = re.compile(
    r"^\s*(live(\s+updates?)?|update[sd]?|recap|breaking(\s+news)?|watch|video|photos|exclusive|opinion|analysis|"
    r"explainer|fact\s+check|first\s+on\s+[a-z]+|((usa\s+today|cnn)\s+)?exclusive)\s*[:|\-–—]\s*",
    re.I,
)
_SITE = re.compile(r"\s+\|\s+[^|]*$")  # " | CNN Politics": the site's name, not the story's
# A label after the story's title ("…: Here's what to know", ": Recap", ". Here's why", ": See photos",
# ": Schedule of events, how to watch"): it names the page's format, not the news.
_TRAILING_LABEL = re.compile(
    r"\s*[:.!;]\s*(what\s+(to|we)\s+know(\s+about\b[^:.?!]*)?|here['’]s\s+(why|how|what|who|where|when)\b[^:.?!]*|recap|"
    r"see\s+(the\s+)?(\w+\s+)?(photos|pictures|list|full\s+list|schedule|map|results)\b[^:.?!]*|live\s+(updates|coverage)(\s+of\b[^:.?!]*)?|explained|"
    r"(schedule(\s+of\s+events)?|start\s+time|date|time|tv\s+channel)(,\s*[^:.?!]*)?\s+(and\s+)?how\s+to\s+watch\b[^:.?!]*"
    r"|how\s+to\s+watch\b[^:.?!]*)\s*[.!]?\s*$",
    re.I,
)
# A second sentence that turns to the reader ("Trump announces 25% auto tariffs. What it means for car
# buyers", ". Here's where to find it", ". Know bird flu symptoms, risk", ". File now for …"): the
# page's service offer, not the news the first sentence states.
_SERVICE_TAIL = re.compile(
    r"(?<=\w[\w'’%)])[.;]\s+(here['’]s|here\s+(is|are)|what\s+(it|this|that|they|to|we|you)|why|how|know|see|find|"
    r"learn|check|file|get|read|everything|list\s+of|where\s+to|when\s+to)\b[^?]*$",
    re.I,
)
MIN_LABELLED = 3  # words the title keeps without its label, else the label stays
_CUT = re.compile(r"(\s*)(\.\.\.|…|\s\.)\s*$")  # "economic ...", "offerings will ."
_SENTENCE_END = re.compile(r"[.?!](?=\s+[A-Z‘“'\"])")
# Words a phrase can be cut before and still read complete ("… crackdown | in Palm").
_BREAK_WORDS = words(
    "in on at for about as but and or with to of from after over amid while that by into than during under "
    "against before since until via near throughout between among across toward towards without within beyond "
    "despite including per versus vs vs."
)
# ... and words a complete phrase does not end with.
_DANGLING = _BREAK_WORDS | words(
    "the a an will could would can may should must is are was were be what where when why how who which "
    "plus also here's has have had than its his her their according some many much less few several "
    "all any each every other such both set looking seeking expected likely poised plans wants aims seeks tries "
    "trying hopes needs going due able led"
)
MIN_WORDS = 4
MAX_CHARS = 200


def plain(title: str) -> tuple[str, str]:
    """The title without markup, page labels or site name; and where the page cut it ("word":
    maybe inside the last word; "phrase": after a whole word; "": not at all)."""
    text = normalize_ws(strip_markup(title))
    m = _CUT.search(text)
    # "… younger than 50 could ...": the last word is whole; "… Sri…" may be part of one.
    cut = "word" if m and not m.group(1) else "phrase" if m else ""
    text = _CUT.sub("", text)
    if _SITE.search(text):
        text = _SITE.sub("", text)
        cut = ""  # what was cut was the site's name
    text = _LABEL.sub("", text).strip()
    bare = _TRAILING_LABEL.sub("", text).strip()
    if bare != text and len(bare.split()) >= MIN_LABELLED and not bare.endswith("?"):
        text, cut = bare, ""  # the label runs to the end, so what the page cut was the label
    told = _SERVICE_TAIL.sub("", text).strip()
    if told != text and len(told.split()) >= MIN_WORDS and "?" not in told:
        text, cut = told, ""  # what the page cut was the offer
    if len(text) > 2 and text[0] in "\"“'‘" and text[-1] in "\"”'’":
        text = text[1:-1].strip()
    return text, cut


def repair(text: str, cut: str = "phrase") -> str:
    """A cut title cut back to its last complete phrase (at least :data:`MIN_WORDS` words)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if ends:
        first = text[: ends[-1]].strip()
        # "Trump offers buyouts to federal workers. What to know and how": keep what is whole.
        if len(first.split()) >= MIN_WORDS:
            return first if first.endswith("?") else first.rstrip(".")
    words = text.split()
    if cut == "word":
        words = words[:-1]
    at_break = False  # the page cut right after a phrase: what stands before it is whole
    while len(words) > MIN_WORDS and _dangles(words[-1]):
        at_break |= words.pop().lower().strip("(") in _BREAK_WORDS
    # "… most famous alumni, from authors [to …]": a range cut after its start is half-said.
    if at_break:
        at = next((k for k in range(len(words) - 1, len(words) - 5, -1) if k > 0 and words[k].lower() == "from"), 0)
        if at and words[at - 1].endswith(","):
            words = _trimmed(words[:at], words)
    if cut == "phrase" and words and re.fullmatch(r"[\d.,%$]+", words[-1]):
        return " ".join(words).rstrip(",")  # "… younger than 50": a whole number ends a phrase
    for i in range(len(words) - 1, MIN_WORDS - 1, -1):
        if at_break:
            break
        before, word = words[i - 1], words[i]
        if before.endswith((",", ";", ":", "–", "—")) or word.lower() in _BREAK_WORDS or word.startswith("("):
            words = words[:i]
            break
    words = _trimmed(words)
    # "… alligator float: News", "… parade: Highlights": one word after a colon is a label or a cut.
    if len(words) > MIN_WORDS and ":" in words[-2]:
        words = words[:-1]
    # A contrast cut before its point ("… gay sex ban but limits prospect"), or a quotation the cut
    # left open after a clause ("… wins box office as 'Killers", "… Travis Mullis: 'Consumed"): the
    # title reads complete before it.
    for k in range(len(words) - 1, MIN_WORDS - 1, -1):
        opened = bool(_OPENS.match(words[k])) and not _closed(words[k:])
        if words[k].lower() == "but" or (opened and words[k - 1].endswith(":")):
            words = _trimmed(words[:k], words)
            break
        if opened and words[k - 1].lower() in _CLAUSE_WORDS and k - 1 >= MIN_WORDS:
            words = _trimmed(words[: k - 1], words)
            break
    return " ".join(words).rstrip(",;:–—- ")


_OPENS = re.compile(r"^['‘“\"]\w")
_CLAUSE_WORDS = words("as but while and after")


def _dangles(word: str) -> bool:
    return word.lower().strip("(") in _DANGLING


def _trimmed(kept: list[str], otherwise: list[str] | None = None) -> list[str]:
    """``kept`` without the words it cannot end on (down to :data:`MIN_WORDS`); if it still ends
    on one and there is an ``otherwise``, that instead."""
    kept = list(kept)
    while len(kept) > MIN_WORDS and _dangles(kept[-1]):
        kept.pop()
    return otherwise if otherwise is not None and _dangles(kept[-1]) else kept


def _closed(words: list[str]) -> bool:
    """Whether the quotation the first of ``words`` opens closes among them."""
    mark = words[0][0]
    close = {"‘": "’", "“": "”"}.get(mark, mark)
    return any(w.rstrip(".,;:!?)").endswith(close) for w in words) or (
        len(words[0]) > 2 and words[0].rstrip(".,;:!?)").endswith(close)
    )


def choose(titles: Sequence[str]) -> str:
    """The story's headline from its titles (most central first): a complete statement if one
    exists, then a repaired statement, then a complete question, then anything repaired."""
    ranked: list[tuple[int, int, str]] = []
    for k, title in enumerate(titles):
        text, cut = plain(title)
        if cut:
            text = repair(text, cut)
        if not text:
            continue
        # "Will Trump pardon rioters? What he has said" asks too: a straight title of the story is better.
        question = bool(QUESTION_TITLE.search(text)) or "?" in text
        if question and (told := statement_before_question(text)):
            text, cut, question = told, "phrase", False  # ranks as a repaired statement
        if question and not cut and not text.endswith("?") and asks(text):
            text += "?"
        ranked.append((2 * question + bool(cut), k, text))
    if not ranked:
        return titles[0][:MAX_CHARS] if titles else ""
    return min(ranked)[2][:MAX_CHARS]


# A title that asks, though its page dropped the "?": "Who won …", "When is …", "How much to tip".
# "Why Musk and Biden both love EVs", "How Iowa's Caitlin Clark became …" and "What another
# presidency would mean for …" are statements in headline style; a title that goes on after its
# question ("When is the Super Bowl? Date, kickoff time …") has asked already.
_ASKS = re.compile(
    r"^\s*(who\b|(what|when|where|why|how|which)\s+(is|are|was|were|do|does|did|has|have|had|will|would|can|could|"
    r"should|much|many|long|old)\b)",
    re.I,
)


# Where a title that states something goes on to ask ("Joann files for bankruptcy. Are Wisconsin
# stores closing?", "Trump wants to stop penny production, could they soon be obsolete?").
_THEN_ASKS = re.compile(
    r"[.!,]\s+(?=(?:could|will|would|can|is|are|was|were|does|do|did|should|has|have|what|how|why|who|when|"
    r"where|which)\b[^.!?]*\?[\"'”’]*\s*$)",
    re.I,
)


def statement_before_question(title: str) -> str | None:
    """The statement a title opens with when the rest of it asks (see :data:`_THEN_ASKS`): the
    news is said, and the question is the page's hook."""
    m = _THEN_ASKS.search(title)
    if not m:
        return None
    told = title[: m.start()].strip()
    # Before a colon stands a topic, not a statement ("TikTok ban in U.S.: What will happen …").
    if len(told.split()) < MIN_WORDS or any(c in told for c in "?:") or QUESTION_TITLE.search(told) or asks(told):
        return None
    if told.split()[-1].lower() in _DANGLING:
        return None
    return told


def asks(title: str) -> bool:
    """Whether a title without its "?" is a question (see :data:`_ASKS`)."""
    return bool(_ASKS.match(title)) and not _SENTENCE_END.search(title)


def clean(text: str | None) -> str | None:
    """An engine's headline as plain text: no links, images, HTML, emphasis or heading marks."""
    if not text:
        return None
    out = re.sub(r"\*+|`+|(?<!\w)_+|_+(?!\w)", "", strip_markup(text))
    out = re.sub(r"^\s*#+\s*", "", normalize_ws(out)).strip(" \"'“”")
    return out[:MAX_CHARS] or None


# Where a lead's main statement ends: before a dash's aside ("… 40-22 – a score actually closer…")
# or a second clause after a semicolon.
_ASIDE = re.compile(rf"\s+[{DASHES}]\s+|;\s+")
MAX_ANSWER_WORDS = 18
ANSWERED = 0.6  # share of the question's content words the lead must hold to answer it


def answered(title: str, lead: str) -> str | None:
    """A question title stated by its answer: the story's lead, when it tells as done what the
    question asks ("Who won Super Bowl 59? …" → "The Philadelphia Eagles demolished the Kansas
    City Chiefs in Super Bowl 59 40-22") and is short enough for a headline. None otherwise."""
    text, _ = plain(title)
    if "?" not in text and not asks(text):
        return None
    asked = content_tokens(text.split("?")[0])
    if m := DATELINE.match(lead):
        lead = lead[m.end() :]
    told = _ASIDE.split(lead.strip(), maxsplit=1)[0].strip().rstrip(".")
    if not asked or not tells_outcome(told) or any(q in told for q in '"“”?'):
        return None
    if not MIN_WORDS < len(told.split()) <= MAX_ANSWER_WORDS:
        return None
    return told if len(asked & content_tokens(told)) / len(asked) >= ANSWERED else None
