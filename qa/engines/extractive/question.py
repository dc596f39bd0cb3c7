"""What a question asks for: its kind of value, its focus noun, its subject and verb."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.engines.extractive.patterns import (
    ACRONYM,
    CUES,
    DATE,
    FUNCTION,
    MONTHS,
    NAME,
    NOT_NAMES,
    NUMBER,
    PLACE,
    SPEAKER,
)
from qa.engines.extractive.sentences import Sentence, content_terms
from qa.prose import QUOTED
from qa.text import numbers
from qa.tokens import tokenize

_LEAD = r"^\s*(?:(?:and|so|then|in|at|on|by|for|from|to|of|since|until)\s+)?"
_AUX = r"did|does|do|has|have|had|will|would|were|was|are|is|can|could"
# "Which Russian security official …": up to three words before the noun that says what is asked,
# none of them a verb ("What did Mayor Ferreira call …" asks for no mayor).
_ADJECTIVES = rf"(?:(?!(?:{_AUX})\b)[\w.'’-]+ ){{0,3}}"
# (kind, question pattern), first match wins: the specific numeric kinds before the general ones.
_ASKS: list[tuple[str, re.Pattern[str]]] = [
    ("population", re.compile(r"\bpopulation\b|\bhow many (?:people|residents|inhabitants) live\b", re.I)),
    (
        "money",
        re.compile(
            r"\b(?:what|how much)\b.*\b(?:price|prices|cost|costs|fee|fees|fare|fares|salary|wage|worth|value)\b"
            r"|^\s*how much (?:money|\w+ (?:.* )?"
            r"(?:cost|pay|paid|spend|spent|charge|sell|sold|buy|bought|earn|raise|raised|fund))\b"
            r"|^\s*what\b.*\b(?:sell|sells|sold|selling|priced|rent|rents|rented|fetch|fetched) for\b",
            re.I,
        ),
    ),
    (
        "weight",
        re.compile(r"\bhow much (?:\w+ )+weighs?\b|\bhow heavy\b|\bwhat (?:is|was) (?:the |its )?weight\b", re.I),
    ),
    # "How long is the frog?" is a size; "How long will the work take?" a duration.
    (
        "size",
        re.compile(r"^\s*how (?:long|tall|high|wide|deep) (?:is|are|was|were)\b(?!.*\b(?:last|take))", re.I),
    ),
    ("percent", re.compile(r"\b(?:what|which) (?:percentage|percent|share|proportion|fraction)\b", re.I)),
    ("distance", re.compile(r"^\s*how far\b|\bwhat distance\b|\bhow many (?:miles|kilomet)", re.I)),
    ("age", re.compile(r"^\s*how old\b|\bwhat age\b", re.I)),
    ("duration", re.compile(r"^\s*how long\b(?! ago)", re.I)),
    ("count", re.compile(_LEAD + r"how many\b|\bthe number of\b", re.I)),
    ("number", re.compile(_LEAD + r"how much\b|\bwhat (?:number|amount|total|quantity)\b", re.I)),
    ("date", re.compile(_LEAD + r"(?:when\b|(?:what|which) (?:year|day|date|time|month|week)\b|how long ago\b)", re.I)),
    (
        "org",
        re.compile(
            r"\b(?:which|what) "
            + _ADJECTIVES
            + r"(?:company|companies|firm|organi[sz]ation|agency|group|institute|outlet|newspaper|"
            r"bank|party|ministry|body|service)\b",
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            _LEAD
            + r"(?:who|whom|whose)\b|\b(?:which|what) "
            + _ADJECTIVES
            + r"(?:person|people|official|officials|leader|"
            r"minister|president|man|woman|councilmember|councilman|councilwoman|councillor|lawmaker|senator|"
            r"representative|governor|mayor|executive|spokes(?:man|woman|person)|author|scientist|researcher|"
            r"player|coach|candidate|judge|member|director|chief|commander|general|envoy)\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            # "Where…" opens the question; "… landed in which city?" may come anywhere.
            _LEAD
            + r"where\b|\b(?:what|which) "
            + _ADJECTIVES
            + r"(?:city|country|nation|region|place|town|state|province|village|area)\b",
            re.I,
        ),
    ),
]
NUMERIC = frozenset(
    ["count", "number", "money", "weight", "size", "percent", "distance", "duration", "age", "population"]
)
_COUNTED = re.compile(rf"\bhow many\s+(?P<np>(?:[\w'’-]+\s+){{0,3}}?[\w'’-]+)\s+(?:{_AUX})\b", re.I)
_COUNTED_BARE = re.compile(r"\bhow many\s+(?P<np>[\w'’-]+)", re.I)
# "How many drones did Ukraine launch ..." -> subject "Ukraine", verb "launch".
# The verb ends the lowercase run after the subject ("did Vantor shares rise": rise).
_STOP = r"at|to|in|on|for|from|with|by|of|about|into|against|over|during|after|before|last|this|next|each|the|a|an"
_SUBJECT_VERB = re.compile(
    rf"\b(?:{_AUX})\s+(?:the\s+)?(?P<subj>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)\s+"
    rf"(?P<run>(?:(?!(?:{_STOP})\b)[a-z]+\s+)*?(?!(?:{_STOP})\b)[a-z]+)(?=\s*[?.,!]|\s*$|\s+[A-Z]|\s+(?:{_STOP})\b)"
)


# "What is the new bus fare in Harbor City?" asks for a fare: a passage that never mentions one
# cannot answer, whatever else it shares with the question.
_FOCUS = re.compile(
    r"^\s*(?:what|which)\s+(?:is|was|are|were|will be)\s+(?:the\s+|a\s+|an\s+)?(?:[\w'’-]+\s+){0,4}?"
    r"(?P<head>[a-z][a-z-]+)(?=\s+(?:of|in|for|at|on|to|from|with|by|between|that|when|after|before)\b|\s*\?*\s*$)",
    re.I,
)
_GENERIC_HEADS = frozenset(
    tokenize("number total amount percentage share proportion kind type status situation latest news reason way")
)


@lru_cache(maxsize=65536)
def word_terms(word: str) -> frozenset[str]:
    """The terms of one word, memoised: sentences share most of their words."""
    return frozenset(tokenize(word))


def focus(question: str) -> str | None:
    m = _FOCUS.search(question)
    toks = tokenize(m["head"]) if m else []
    return toks[0] if toks and toks[0] not in _GENERIC_HEADS and toks[0] not in FUNCTION else None


def subject_verb(question: str) -> tuple[str, list[str]] | None:
    m = _SUBJECT_VERB.search(question)
    return (m["subj"].lower(), tokenize(m["run"].split()[-1])) if m else None


_DEFINITION = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+(?:the\s+)?[A-Z]")


@dataclass(frozen=True)
class Ask:
    """What a question asks for: its kind (None: any statement), for counts the counted noun, and
    for dates the grain asked for ("In what year…" wants a year, not "Monday")."""

    kind: str | None
    unit: str | None = None
    grain: str | None = None
    place: str | None = None  # "which state…": a place of a type places.json lists


_GRAIN = re.compile(r"\b(?:what|which)\s+(?P<grain>year|month)\b", re.I)
_PLACE_TYPE = re.compile(rf"\b(?:what|which)\s+{_ADJECTIVES}(?P<type>country|nation|state|city)\b", re.I)
YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def classify(question: str) -> Ask:
    if _DEFINITION.search(question):
        return Ask(None)  # "Who is Keith Kellogg?" wants a description, not another name
    kind = next((k for k, pat in _ASKS if pat.search(question)), None)
    unit = grain = None
    if kind == "count" and (m := _COUNTED.search(question) or _COUNTED_BARE.search(question)):
        toks = tokenize(m["np"].split()[-1])
        unit = toks[-1] if toks else None
    if kind == "date" and (g := _GRAIN.search(question)):
        grain = g["grain"].lower()
    place = None
    if kind == "place" and (p := _PLACE_TYPE.search(question)):
        place = {"nation": "country"}.get(p["type"].lower(), p["type"].lower())
    return Ask(kind, unit, grain, place)


def of_grain(date: str, grain: str | None) -> bool:
    """Whether a date span states the grain asked for: a year, a month, or (None) any date."""
    if grain == "year":
        return bool(YEAR.search(date))
    if grain == "month":
        return bool(re.search(MONTHS, date, re.I))
    return True


def new_names(sentence: str, question_words: set[str]) -> list[str]:
    """Named-entity-like spans of the sentence that the question does not already mention."""
    out = []
    for m in NAME.finditer(sentence):
        words = [w.strip("'’.").lower() for w in m.group().split()]
        if all(w in question_words or w in NOT_NAMES for w in words):
            continue
        out.append(m.group())
    return out


def fits(ask: Ask, question: str, sentence: str) -> float:
    """How well the sentence holds what is asked: 0 (not at all) to 1.2 (with the counted noun)."""
    kind = ask.kind
    if kind is None:
        return 1.0
    q_words = {w.strip("'’.,?").lower() for w in question.split()}
    if kind in NUMERIC:
        new_numbers = numbers(sentence) - numbers(question)
        number_words = [m.group() for m in NUMBER.finditer(sentence) if not m.group()[0].isdigit()]
        if not new_numbers and not [w for w in number_words if w.lower() not in q_words]:
            return 0.0
        cue = CUES.get(kind)
        if cue is not None and not cue.search(sentence):
            return 0.0
        if kind == "count" and ask.unit:
            # "How many drones" is not answered by "a half-dozen coffins".
            return 1.2 if counts(sentence, ask.unit) else 0.0
        return 1.0
    if kind == "date":
        dates = [m.group() for m in DATE.finditer(sentence)]
        return float(any(d.lower() not in question.lower() and of_grain(d, ask.grain) for d in dates))
    names = new_names(sentence, q_words)
    if kind == "person":
        multi = [n for n in names if len(n.split()) >= 2]
        speakers = [m.group() for m in SPEAKER.finditer(sentence) if m.group().split()[0].lower() not in q_words]
        return float(bool(multi or speakers))
    if kind == "org":
        return float(bool(names or [a for a in ACRONYM.findall(sentence) if a.lower() not in q_words]))
    # place
    return float(any(m.group().split()[-1].lower() not in q_words for m in PLACE.finditer(sentence)))


PEOPLE = frozenset(
    tokenize(
        "people persons civilians residents inhabitants soldiers troops servicemen fighters workers employees "
        "staff members men women children victims passengers casualties"
    )
)


def counts(sentence: str, unit: str) -> bool:
    """A number followed within a few words by the counted noun: "5,438 drones", "three people"."""
    toks = re.findall(r"[\w'’.,-]+", sentence)
    same = PEOPLE if unit in PEOPLE else frozenset([unit])
    for i, tok in enumerate(toks):
        if NUMBER.match(tok):
            for nxt in toks[i + 1 : i + 5]:
                if set(tokenize(nxt)) & same:
                    return True
    return False


def roles_swapped(question: str, sentence: str) -> bool:
    """True if the question's subject shows up in the sentence only after the asked-about verb."""
    found = subject_verb(question)
    if not found:
        return False
    subj, verb = found
    if not verb:
        return False
    # In "'We urge a ceasefire,' Kellogg said" the quoted words are not the narration's verb.
    low = QUOTED.sub(" ", sentence).lower()
    subj_at = low.find(subj)
    verb_at = next((w.start() for w in re.finditer(r"[a-z]+", low) if tokenize(w.group()) == verb), -1)
    return subj_at >= 0 and verb_at >= 0 and subj_at > verb_at


# A multiword name in the question is one specific: its words share one name's weight.
_NAME_SHARE = 1.5
# A verb no passage uses is likely paraphrased ("give" for "gifted") and counts this much.
_UNSEEN_VERB = 0.5


@dataclass
class Question:
    """A question read against the sentences at hand: its terms weighted by how rare they are there."""

    text: str
    ask: Ask
    terms: list[str]
    weight: dict[str, float]
    names: list[frozenset[str]]
    focus: str | None
    verb: frozenset[str]
    words: set[str]
    numbers: set[str]

    def coverage(self, tokens: frozenset[str]) -> float:
        total = sum(self.weight.values())
        return sum(w for t, w in self.weight.items() if t in tokens) / total if total else 0.0


def read_question(question: str, sents: list[Sentence]) -> Question:
    question = question.strip()
    terms = [t for t in dict.fromkeys(tokenize(question)) if t not in FUNCTION]
    body = re.sub(r"^\W*\w+", "", question)  # its first word is capitalised anyway
    share = {t: _NAME_SHARE for t in numbers(question)}
    names = [toks for name in NAME.findall(body) if (toks := content_terms(name))]
    for toks in names:
        share.update({t: _NAME_SHARE / len(toks) for t in toks})
    names += [frozenset([x]) for x in numbers(question)]
    found = subject_verb(question)
    verb = frozenset(found[1]) if found else frozenset()
    n = max(len(sents), 1)
    df = {t: sum(t in s.terms for s in sents) for t in terms}
    weight = {
        t: math.log(1 + n / (1 + df[t])) * share.get(t, _UNSEEN_VERB if t in verb and not df[t] else 1.0) for t in terms
    }
    return Question(
        text=question,
        ask=classify(question),
        terms=terms,
        weight=weight,
        names=names,
        focus=focus(question),
        verb=verb,
        words={w.strip("'’.,?").lower() for w in question.split()},
        numbers=numbers(question),
    )
