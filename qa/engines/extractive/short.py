"""Short answers: the asked-for value, cut verbatim from the chosen sentences.

"How many drones did Russia launch?" is answered "5,438 drones." before the sentence that says
so; "Which plant did the drone strike?" by "Kupol Electromechanical Plant.". A value is a span of
the asked-for kind that the question does not already state. When the sentences hold several,
the one sitting closest to the question's rarest words wins: "killing three people and injuring
35" answers "how many were injured" with "35" (next to "injuring"), not with "three people",
although that one names the counted noun. A value with none of the question's words near it is
not shown: a wrong value stated first misleads more than none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.engines.extractive.patterns import ACRONYM, CUES, MONTHS, NAME, NOT_NAMES, NUMBER_WORDS
from qa.engines.extractive.places import places
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
    r"^\s*(?:in\s+|at\s+|on\s+)?(?:which|what)\s+(?!(?:is|was|are|were|did|does|do|has|have|had|will|would)\b)"
    r"(?P<noun>[a-z][a-z-]+)\b",
    re.I,
)
_PLACE_BEFORE = re.compile(r"\b(?:in|at|near|from|outside|inside|into)\s+(?:the\s+)?$")
_INNER_CAPITAL = re.compile(r"^[A-Z][a-z]+[A-Z]")
_PLACE_AFTER = re.compile(r"\b(?:in|at|near|from|outside|inside|to|into)\s+(?:the\s+)?(?=[A-Z])")
# Tokens that may follow a number as its unit: "5,438 drones", "620 miles", "72 billion euros".
_UNIT_REACH = 3
# "How much water…" names no unit the question's kind implies: any unit of measure will do.
_ANY_UNIT = re.compile(
    "|".join(CUES[k].pattern for k in ("money", "distance", "weight", "size", "duration"))
    + r"|\b(?:gallons?|lit(?:er|re)s?|barrels?|cubic|tons?|percent)\b",
    re.I,
)
# Words a question and its answer's sentence use for one event: "died" is answered by "were
# killed", "hurt" by "injuring". Only the casualty verbs, which news questions paraphrase most.
_SAME_EVENT = [
    frozenset(tokenize(words))
    for words in (
        "die dies died dying dead death deaths kill kills killed killing fatal fatalities",
        "injure injures injured injuring injury injuries wound wounds wounded wounding hurt",
    )
]
# A clause boundary between a value and a question word counts as this many words between them.
_BOUNDARY_GAP = 2
_BOUNDARY = re.compile(r"[,;:()—–]")
_WORD = re.compile(r"[\w'’-]+")
_LAST_WORD = re.compile(r"([\w'’-]+)\W*$")
# Place types places.json lists completely (every country, every US state).
_COMPLETE_TYPES = frozenset(["country", "state"])
_DATELINE_REST = re.compile(r"\s*(?:\([^)]{1,40}\)\s*)?[-–—]")
# How near the noun a question asks about ("the vote") a figure must be to be its value.
_FOCUS_REACH = 2
# A value stated with the counted noun or unit ("35 people", "$650") outranks a bare number by this.
_UNIT_BONUS = 1.5


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    unit: bool = False


def _with_unit(text: str, start: int, end: int, kind: str, unit: str | None) -> tuple[int, int, bool]:
    """Extend a number to the unit word that follows it, if one does within a few words."""
    rest = text[end:]
    words = list(_WORD.finditer(rest))[:_UNIT_REACH]
    cue = CUES.get(kind, _ANY_UNIT if kind == "number" else None)
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


def _quantities(q: Question, text: str) -> list[_Span]:
    kind = q.ask.kind or "number"
    cue = CUES.get(kind)
    found: list[_Span] = []
    for m in _QUANTITY.finditer(text):
        value = m.group().strip()
        digits = re.sub(r"[^\d.]", "", value)
        if digits and digits.strip(".") in q.numbers:
            continue
        if value.lower() in q.words:
            continue
        s, e, unit = _with_unit(text, m.start(), m.end(), kind, q.ask.unit)
        unit = unit or bool(cue is not None and cue.search(text[s:e]))
        if YEAR.fullmatch(value) and not unit:
            continue  # "in 2025" is a date, not a quantity
        if not any(c.isdigit() for c in value) and not unit:
            continue  # "one of his supporters", "two months": a number word counts only with its unit
        if cue is not None and kind != "count" and not unit:
            continue  # a price is stated in a currency, a distance in miles: "48,000" is no price
        found.append(_Span(s, e, unit))
    return found


def _asked(q: Question, word: str) -> bool:
    """Whether the question names this word ("Carter’s" or "U.S." count as "Carter" or "US")."""
    low = re.sub(r"(?:['’]s?)$", "", word.strip("'’.,").lower())
    terms = word_terms(word)
    if low in q.words or low.replace(".", "") in q.words or low in NOT_NAMES:
        return True
    return bool(terms) and terms.issubset(q.terms)


def _names(q: Question, text: str, min_words: int = 1, person: bool = False) -> list[_Span]:
    out = []
    for m in NAME.finditer(text):
        words = [w.strip("'’.,").lower() for w in m.group().split()]
        if all(_asked(q, w) for w in m.group().split()) or len(words) < min_words:
            continue
        s = m.start()
        # A sentence's first word is capitalised anyway: "The" or "Officials" is no name, though
        # "DeepSeek" is.
        if s == 0 and len(words) == 1 and not _INNER_CAPITAL.search(m.group()):
            continue
        if person and _PLACE_BEFORE.search(text[:s]):
            continue  # "in Washington D.C." is no person
        if words[0] == "the":  # "The Harbor City": the article is no part of the name
            s += len(m.group().split()[0]) + 1
            if len(words) - 1 < min_words:
                continue
        out.append(_Span(s, m.end() - (1 if m.group().endswith(".") else 0)))
    return out


def _spans(q: Question, text: str) -> list[_Span]:
    """Every span of ``text`` of the kind the question asks for."""
    kind = q.ask.kind
    if kind in NUMERIC:
        return _quantities(q, text)
    if kind == "date":
        dates = YEAR.finditer(text) if q.ask.grain == "year" else _DATE_SPAN.finditer(text)
        return [
            _Span(m.start(), m.end())
            for m in dates
            if m.group().lower() not in q.text.lower() and of_grain(m.group(), q.ask.grain)
        ]
    if kind == "person":
        return _names(q, text, min_words=2, person=True)
    if kind == "org":
        acronyms = [_Span(m.start(), m.end()) for m in ACRONYM.finditer(text) if m.group().lower() not in q.words]
        return _names(q, text) + acronyms
    if kind == "place":
        spans = []
        for m in _PLACE_AFTER.finditer(text):
            name = NAME.match(text, m.end())
            if name and name.group().split()[0].strip("'’.,").lower() not in q.words:
                spans.append(_Span(name.start(), name.end()))
        return spans
    if (which := _WHICH.match(q.text)) is not None:
        # "Which plant ...": a name that calls itself a plant, or follows the word ("the journal
        # Amphibia Studies").
        noun = set(tokenize(which["noun"]))
        return [
            sp
            for sp in _names(q, text)
            if noun & set(tokenize(text[sp.start : sp.end]))
            or ((before := _LAST_WORD.search(text, max(0, sp.start - 40), sp.start)) and noun & word_terms(before[1]))
        ]
    if q.focus:
        # "What was the council vote?": a figure stated right beside the noun asked about ("passed
        # by a vote of 9-4").
        figures = _quantities(q, text)
        at = [w for w in _WORD.finditer(text) if q.focus in word_terms(w.group())] if figures else []
        return [sp for sp in figures if any(_gap(text, sp, w) <= _FOCUS_REACH for w in at)]
    return []


def _typed_places(q: Question, text: str) -> list[_Span]:
    """ "Which state…": the states the sentence names and the question does not ("U.S." is "US")."""
    asked = q.text.lower().replace(".", "")
    return [_Span(a, b) for a, b in places(text, q.ask.place or "") if text[a:b].lower().replace(".", "") not in asked]


def _anchors(q: Question) -> dict[str, float]:
    """The question's words a value should sit beside, by weight; the counted noun is left out,
    since it is part of the value itself ("35 people")."""
    unit = PEOPLE if q.ask.unit in PEOPLE else {q.ask.unit}
    weight = {t: w for t, w in q.weight.items() if t not in unit}
    for group in _SAME_EVENT:
        if shared := [w for t, w in weight.items() if t in group]:
            for t in group:
                weight.setdefault(t, max(shared))
    return weight


def _gap(text: str, span: _Span, w: re.Match[str]) -> int:
    """Words between a value and a word of the sentence, clause boundaries counting extra."""
    lo, hi = (w.end(), span.start) if w.end() <= span.start else (span.end, w.start())
    between = text[lo:hi]
    return len(_WORD.findall(between)) + _BOUNDARY_GAP * len(_BOUNDARY.findall(between))


def _score(span: _Span, text: str, anchors: dict[str, float]) -> float:
    """Each question word counts once, at its nearest place in the sentence, by weight / (1 + the
    words between it and the value)."""
    best: dict[str, float] = {}
    for w in _WORD.finditer(text):
        if span.start <= w.start() < span.end:
            continue
        gap = _gap(text, span, w)
        for t in word_terms(w.group()):
            if t in anchors:
                best[t] = max(best.get(t, 0.0), anchors[t] / (1 + gap))
    return sum(best.values()) * (_UNIT_BONUS if span.unit else 1.0)


def _dateline(text: str, span: _Span) -> bool:
    """ "BERLIN (Reuters) —" opens a report with where it was filed: never the value asked for."""
    return span.start == 0 and text[: span.end].isupper() and bool(_DATELINE_REST.match(text, span.end))


def _as_sentence(value: str) -> str | None:
    value = re.sub(r"['’]s$", "", value.strip(" ,;:'\"“”‘’()"))  # "Trudeau's" government: Trudeau
    if not value or len(value) > 120:
        return None
    return value[0].upper() + value[1:] + ("" if value.endswith(".") else ".")


def short_answer(q: Question, texts: Sequence[str]) -> tuple[str, int] | None:
    """The asked-for value as a short sentence cut from one of ``texts``, and which one; None when
    no span of the asked-for kind has a word of the question near it."""
    anchors = _anchors(q)
    # A place of the type asked for, when the sentences name one, before any capitalised run. The
    # lists hold every country and US state, so a capitalised run cannot be one they lack: for
    # those, no value; for a city, a smaller one than the list holds may be meant.
    typed = [(i, sp) for i, text in enumerate(texts) for sp in _typed_places(q, text)] if q.ask.place else []
    if typed or q.ask.place in _COMPLETE_TYPES:
        spans = typed
    else:
        spans = [(i, sp) for i, text in enumerate(texts) for sp in _spans(q, text) if not _dateline(text, sp)]
    scored = [(_score(sp, texts[i], anchors), -i, -sp.start, i, sp) for i, sp in spans]
    if not scored:
        return None
    score, _, _, i, sp = max(scored, key=lambda x: x[:3])
    value = _as_sentence(texts[i][sp.start : sp.end]) if score > 0 else None
    return (value, i) if value else None


def has_value(q: Question, text: str) -> bool:
    """Whether ``text`` holds a span of the kind the question asks for."""
    return bool(_spans(q, text))
