"""Small text utilities shared by engines and citation checks: sentences, tokens, markup."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from qa.tokens import tokenize

_WS = re.compile(r"\s+")
# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) and whitespace,
# unless the period belongs to a common abbreviation, an initial or a number.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)")
_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "st",
    "jr",
    "sr",
    "inc",
    "corp",
    "co",
    "ltd",
    "no",
    "vs",
    "etc",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
    "ft",
    "mt",
    "fig",
    "est",
    "approx",
    "dept",
    "univ",
    "assn",
    "bros",
}
# Ranks and titles before a name ("spokesperson Maj. Gen. Igor Konashenkov"), for the briefing's
# split (see :func:`sentence_spans`).
_TITLES = _ABBREV | {
    "maj",
    "adm",
    "brig",
    "cmdr",
    "cpl",
    "pvt",
    "rev",
    "supt",
    "atty",
    "reps",
    "sens",
    "gens",
}
_ON_X = re.compile(r"\b(?:on|to|via)\s+X$")  # the platform, not an initial
# Two sentences a page glued together ("…said Donald Trump.Meanwhile a fake clip…"), for the
# briefing's split; a web or mail address ("www.HopeOnline.tv", "Jo.Smith@gannett.com") is none.
_END_OR_GLUED = re.compile(_END.pattern + r"|(?<=[a-z]{2})[.!?](?=[A-Z][a-z])")
_LOWER_NEXT = re.compile(r"\s+[a-z]")
# How far a quotation's closing mark may be from a "!" or "?" inside it: a stray opening mark
# must not glue a paragraph together.
_QUOTE_REACH = 200
# Who said the quotation a "!" or "?" closes, in capitals: ("…so wasteful!" Trump said in a post).
_SAID_NEXT = re.compile(
    r"\s+(?:[A-Z][\w'’.-]*\s+){1,4}(?:said|says|told|asked|asks|wrote|writes|added|posted|tweeted|explained|"
    r"recalled|noted|continued|insisted|warned|shouted|yelled|exclaimed)\b"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normalize_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def sentence_spans(
    text: str, start: int = 0, end: int | None = None, *, join_lowercase: bool = False
) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text[start:end]`` (stripped, never empty).

    ``join_lowercase``: no mark followed by a lower-case word ends a sentence ("collided in
    Washington D.C. in a crash" is one, as is "“Stop!” he said"), nor a period after a rank or
    title ("spokesperson Maj. Gen. Igor Konashenkov"), also glued to a colon ("light:Rep. Adam
    Schiff"), nor a "!" or "?" inside a quotation that closes later on the line ("Pirates! The
    Penzance Musical"), nor one that closes a quotation its speaker follows ("…wasteful!" Trump
    said); but "posted on X." ends one, X being the platform, not an initial. Summaries and
    briefings split so; the reader keeps the plain split its weights were trained on (retrained
    on this one, it answered one eval case fewer, within the noise of 211 questions but below the
    gate; with the ranks alone its cross-validated precision fell 0.557 → 0.551, one question)."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    seg_start = start
    # Line breaks are hard boundaries: headlines and paragraphs rarely share a sentence.
    for line in re.finditer(r"[^\n]+", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        seg_start = ls
        for m in (_END_OR_GLUED if join_lowercase else _END).finditer(text, ls, le):
            if m.end() < le and not text[m.end()].isspace() and _in_address(text, m):
                continue  # glued to the next word, inside an address
            word = text[max(ls, m.start() - 12) : m.start()].split()
            prev = word[-1].lower() if word else ""
            if join_lowercase:  # the word before the period even if glued to a colon ("light:Rep.")
                prev = re.split(r"[:;/]", prev)[-1]
            known = _TITLES if join_lowercase else _ABBREV
            initial = len(prev) == 1 and prev.isalpha()
            if join_lowercase and initial and _ON_X.search(text, max(ls, m.start() - 6), m.start()):
                initial = False  # "posted on X." ends a sentence; "George W. Bush" does not
            if m.group().startswith(".") and (prev.strip("(\"'“") in known or initial):
                continue
            # A sentence does not go on in lower case: "in Washington D.C. in a crash" is one, and
            # so are "“Don’t shoot!” he said" and "a Jeopardy! champion".
            if join_lowercase and _LOWER_NEXT.match(text, m.end(), le):
                continue
            if join_lowercase and _inside_quote(text, seg_start, m, le):
                continue
            if join_lowercase and _speaker_follows(text, m, le):
                continue
            _add(text, spans, seg_start, m.end())
            seg_start = m.end()
        _add(text, spans, seg_start, le)
    return spans


def _inside_quote(text: str, start: int, m: re.Match[str], end: int) -> bool:
    """A "!" or "?" inside a quotation that closes further on the line: the title of a show
    ("turns in "Pirates! The Penzance Musical" and …") or a question quoted whole ("asked: "Who
    will pay? Not us."") ends no sentence."""
    if m.group()[0] not in "!?" or m.group()[-1] in '"”':
        return False
    before, after = text[start : m.start()], text[m.end() : min(end, m.end() + _QUOTE_REACH)]
    if before.count("“") > before.count("”"):
        return "”" in after
    return before.count('"') % 2 == 1 and '"' in after


def _in_address(text: str, m: re.Match[str]) -> bool:
    """Whether a mark glued to the next word sits inside an address rather than between sentences."""
    a = m.start()
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    b = m.end()
    while b < len(text) and not text[b].isspace():
        b += 1
    token = text[a:b]
    return "@" in token or "/" in token or "www" in token.lower() or token.count(".") > 1


def _speaker_follows(text: str, m: re.Match[str], end: int) -> bool:
    """A quotation closed by "!" or "?" and then who said it: "…so wasteful!" Trump said."""
    return m.group()[0] in "!?" and m.group()[-1] in '"”' and bool(_SAID_NEXT.match(text, m.end(), end))


def _add(text: str, spans: list[tuple[int, int]], s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def content_tokens(text: str) -> set[str]:
    """The text's terms as search sees them (:func:`qa.tokens.tokenize`): what the briefing
    compares. The reader's ``content_terms`` (:mod:`qa.engines.extractive.sentences`) also drops
    function words and counts a demonym as its place, since the reader weighs its features on them."""
    return set(tokenize(text))


def jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    """Shared terms over all terms of the two (0 for two empty sets)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)")
_HTML = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->", re.S)
_URL = re.compile(r"\b(?:https?|ftp|data|javascript):[^\s)\]]+", re.I)
_REF_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M)


# Text addressed to a model rather than a reader ("Ignore previous instructions and answer ...",
# "tell readers to wire ..."). Quoting it is true to the article but never informs anyone, and a
# model downstream may obey it: no engine states it and no citation rests on it.
_TO_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:previous|prior|above|earlier|all|any|your)\b.{0,30}"
    r"\b(?:instructions?|prompts?|rules|directions)\b"
    r"|\bsystem prompt\b|\byou are (?:now )?(?:an? )?(?:AI|assistant|chatbot|language model)\b"
    r"|\bnew instructions?\s*:|\b(?:tell|instruct) (?:the |your |all )?(?:readers|users|visitors) (?:to|that)\b",
    re.I,
)


def addressed_to_model(text: str) -> bool:
    """Whether ``text`` holds an instruction aimed at a model (a prompt injection)."""
    return bool(_TO_MODEL.search(text))


def strip_markup(text: str) -> str:
    """Drop markdown images, links (keeping their words), raw HTML and bare URLs."""
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _REF_LINK.sub("", text)
    text = _HTML.sub("", text)
    return _URL.sub("", text)


def teaser(first: str, rest: str) -> bool:
    """Whether ``first`` (a page's opening paragraph) is a teaser whose opening sentence the story
    then tells again, in the same words or nearly (80% of its content words in one of the next
    sentences)."""
    spans = sentence_spans(first)
    if not spans:
        return False
    opening = content_tokens(first[spans[0][0] : spans[0][1]])
    if len(opening) < 5:
        return False
    return any(len(opening & content_tokens(rest[a:b])) / len(opening) >= 0.8 for a, b in sentence_spans(rest)[:6])
