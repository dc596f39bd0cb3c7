"""Short answers: the asked-for value, cut verbatim from the chosen sentence.

"How many drones did Russia launch?" is answered "5,438 drones." before the sentence that says
so; "Which plant did the drone strike?" by "Kupol Electromechanical Plant.". A value is a span of
the sentence of the asked-for kind that the question does not already state; when a sentence
holds several, the one nearest the question's own words wins ("killing three people and injuring
35" answers "how many were killed" with "three people").
"""

from __future__ import annotations

import re

from qa.engines.extractive.patterns import ACRONYM, CUES, MONTHS, NAME, NOT_NAMES, NUMBER_WORDS
from qa.engines.extractive.question import NUMERIC, PEOPLE, YEAR, Question, of_grain, word_terms
from qa.tokens import tokenize

_SCALE = r"(?:\s(?:thousand|million|billion|trillion|hundred))?"
_QUANTITY = re.compile(
    rf"(?:[$€£¥]\s?)?(?:\d[\d,.]*\d|\d)(?:-\w+)?{_SCALE}(?:\s?(?:%|percent|per cent))?"
    rf"|\b(?:(?:about|some|nearly|almost|more than|at least)\s)?(?:{NUMBER_WORDS}){_SCALE}\b",
    re.I,
)
_DATE_SPAN = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{MONTHS})(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s(?:1[89]|20)\d\d)?\b"
    r"|\b(?:1[89]|20)\d\d\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
_WHICH = re.compile(
    r"^\s*(?:in\s+|at\s+|on\s+)?(?:which|what)\s+(?P<noun>[a-z][a-z-]+)\b(?!\s+(?:is|was|are|were)\b)", re.I
)
_PLACE_AFTER = re.compile(r"\b(?:in|at|near|from|outside|inside|to|into)\s+(?:the\s+)?(?=[A-Z])")
# Tokens that may follow a number as its unit: "5,438 drones", "620 miles", "72 billion euros".
_UNIT_REACH = 3


def _nearest(spans: list[tuple[int, int]], text: str, q: Question) -> tuple[int, int] | None:
    """The span closest (in characters) to a question term in the sentence."""
    if not spans:
        return None
    terms = set(q.terms)
    at = [m.start() for m in re.finditer(r"[\w'’-]+", text) if word_terms(m.group()) & terms]
    if not at:
        return spans[0]
    return min(spans, key=lambda sp: (min(min(abs(sp[0] - a), abs(sp[1] - a)) for a in at), sp[0]))


def _with_unit(text: str, start: int, end: int, kind: str, unit: str | None) -> tuple[int, int, bool]:
    """Extend a number to the unit word that follows it, if one does within a few words."""
    rest = text[end:]
    words = list(re.finditer(r"[\w'’-]+", rest))[:_UNIT_REACH]
    cue = CUES.get(kind)
    same = PEOPLE if unit in PEOPLE else frozenset([unit]) if unit else frozenset()
    for w in words:
        if rest[: w.start()].strip(" -") and re.search(r"[.,;:()]", rest[: w.start()]):
            break  # never across a clause boundary
        toks = set(tokenize(w.group()))
        if (same and toks & same) or (cue is not None and cue.fullmatch(w.group())):
            end2 = end + w.end()
            # Durations come in parts: "2 hours 6 minutes 41 seconds".
            more = re.match(r"(?:,?\s\d+\s(?:hours?|minutes?|seconds?|days?|weeks?|months?|years?))+", text[end2:])
            return start, end2 + (more.end() if more else 0), True
    return start, end, False


def _quantities(q: Question, text: str) -> list[tuple[int, int]]:
    kind = q.ask.kind or "number"
    found: list[tuple[int, int, bool]] = []
    for m in _QUANTITY.finditer(text):
        value = m.group().strip()
        digits = re.sub(r"[^\d.]", "", value)
        if digits and digits.strip(".") in q.numbers:
            continue
        if value.lower() in q.words:
            continue
        s, e, unit = _with_unit(text, m.start(), m.end(), kind, q.ask.unit)
        cue = CUES.get(kind)
        unit = unit or bool(cue is not None and cue.search(text[s:e]))
        if YEAR.fullmatch(value) and not unit:
            continue  # "in 2025" is a date, not a quantity
        if not any(c.isdigit() for c in value) and not unit:
            continue  # "one of his supporters", "two months": a number word counts only with its unit
        found.append((s, e, unit))
    with_unit = [(s, e) for s, e, u in found if u]
    return with_unit or [(s, e) for s, e, _ in found]


def _names(q: Question, text: str, min_words: int = 1) -> list[tuple[int, int]]:
    out = []
    for m in NAME.finditer(text):
        words = [w.strip("'’.,").lower() for w in m.group().split()]
        if all(w in q.words or w in NOT_NAMES for w in words) or len(words) < min_words:
            continue
        s = m.start()
        # A sentence's first word is capitalised anyway: "The" or "Officials" is no name.
        if s == 0 and len(words) == 1:
            continue
        if words[0] == "the":  # "The Harbor City": the article is no part of the name
            s += len(m.group().split()[0]) + 1
            if len(words) - 1 < min_words:
                continue
        out.append((s, m.end() - (1 if m.group().endswith(".") else 0)))
    return out


def short_answer(q: Question, text: str) -> str | None:
    """The asked-for value as a short sentence taken from ``text``, or None when nothing fits."""
    kind = q.ask.kind
    spans: list[tuple[int, int]] = []
    if kind in NUMERIC:
        spans = _quantities(q, text)
    elif kind == "date":
        dates = YEAR.finditer(text) if q.ask.grain == "year" else _DATE_SPAN.finditer(text)
        spans = [
            (m.start(), m.end())
            for m in dates
            if m.group().lower() not in q.text.lower() and of_grain(m.group(), q.ask.grain)
        ]
    elif kind == "person":
        spans = _names(q, text, min_words=2)
    elif kind == "org":
        spans = _names(q, text) + [
            (m.start(), m.end()) for m in ACRONYM.finditer(text) if m.group().lower() not in q.words
        ]
    elif kind == "place":
        for m in _PLACE_AFTER.finditer(text):
            name = NAME.match(text, m.end())
            if name and name.group().split()[0].strip("'’.,").lower() not in q.words:
                spans.append((name.start(), name.end()))
    elif (which := _WHICH.match(q.text)) is not None:
        # "Which plant ...": a name that calls itself a plant.
        noun = set(tokenize(which["noun"]))
        spans = [sp for sp in _names(q, text) if noun & set(tokenize(text[sp[0] : sp[1]]))]
    best = _nearest(spans, text, q)
    if best is None:
        return None
    value = text[best[0] : best[1]].strip(" ,;:'\"“”‘’()")
    if not value or len(value) > 120:
        return None
    return value[0].upper() + value[1:] + ("" if value.endswith(".") else ".")
