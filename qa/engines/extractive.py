"""The offline, deterministic engine: answers and summaries made of verbatim source sentences.

Answers. Every sentence of the retrieved passages is a candidate, and so is every pair of
adjacent sentences (the question's subject is often named in one sentence and the asked-for
fact stated in the next: "A drone hit a plant in Izhevsk. The drone struck the Kupol plant.").
A candidate is measured by

- ``coverage``: the IDF-weighted share of the question's content terms it contains. Weights come
  from the candidate sentences themselves, so a term few sentences share (a name, a number, the
  thing asked about) counts most, and a term no sentence has counts most of all;
- ``similarity``: cosine of question and sentence embeddings (all sentences in one batch call);
- ``fit``: whether it holds the kind of thing asked for, a value the question does not already
  state (a number for "how many", a currency amount for "how much did it cost", a date for
  "when", a name for "who", a place for "where"), and keeps the question's roles (a sentence in
  which Russia launched drones at Ukraine does not say how many Ukraine launched).

``relevance = 0.6·coverage + 0.4·similarity``. The engine answers only if the best candidate
fits, names most of the question's entities and numbers (itself or in its article's headline),
mentions the thing a "what is the X of ..." question asks for (a fare, a population), covers at
least ``min_coverage`` of the question's weighted terms, has a cosine of at least
``min_similarity`` and a relevance of at least ``abstain_threshold``; otherwise it abstains.
Pairs are considered only when no single sentence passes. Further sentences join the best one
only if they pass the same test, come close to its relevance and coverage, add words the answer
lacks, and are not near duplicates of a chosen sentence (MMR).

Summaries. Central sentences (close to the centroid of the material, to their article's
headline, and to the topic when one is given; an article's lead sentence gets a bonus; articles
far off the topic are left out), chosen with MMR so that no two say the
same thing, shown in reading order. Quotes, bylines and fragments lose to plain sentences.

Everything is deterministic: ties break by reading order, and scores are rounded before they are
compared so that float noise in the embeddings cannot reorder candidates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.embeddings import Embedder
from qa.engines.base import Draft, DraftSentence, Source, Task
from qa.lexical import tokenize
from qa.text import normalize_ws, numbers, sentence_spans

# Words that shape a question (or any sentence) but say nothing about its topic; the lexical
# stopword list is deliberately short, so coverage needs its own.
_FUNCTION = frozenset(
    tokenize(
        "how many much who whom whose what which when where why whether did does do doing done is are was "
        "were be been being has have having had will would shall should can could may might must according "
        "say says said tell told name kind type i me my we our you your he him his she her it its they them "
        "their this that these those there here than then also about over under after before from into onto "
        "upon out up down off again so very just only even any some all each most more other such one own "
        "same too not no nor yet per via get got make made"
    )
)

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half|several|a few|a dozen"
)
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{_MONTHS})\b|\b(?:{_DAYS})\b|\b(?:1[89]|20)\d\d\b|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    r"|\b(?:yesterday|today|tonight|overnight|last (?:night|week|month|year)|this (?:week|month|year)"
    r"|(?:days?|weeks?|months?|years?) ago|earlier this \w+|(?:first|second|third|fourth) quarter"
    r"|(?:next|last) (?:week|month|year|quarter)|(?:spring|summer|autumn|fall|winter) of)\b"
)
# A run of capitalised words: the stand-in for a named entity in plain text.
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|de|al|bin|von|van|la|the)?\s*[A-Z][\w'’.-]*)*")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
_SPEAKER = re.compile(r"\b[A-Z][a-z'’-]+,?\s+(?:said|says|told|added|wrote|claimed|announced)\b")
_PLACE = re.compile(
    r"\b(?:in|at|near|from|outside|inside|across|to|into|of|city of|region of)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west)(?:ern|east|west|eastern|western)?\s+|central\s+|coastal\s+)?[A-Z][\w'’-]+"
    r"|\b(?:miles?|kilomet(?:er|re)s?|km)\b"
)
_NOT_NAMES = frozenset(f"{_MONTHS}|{_DAYS}|The|A|An|In|On|At|But|And|It|He|She|They|We|I".lower().split("|"))
_CUES: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"[$€£¥]|\b(?:dollars?|euros?|pounds?|rubles?|roubles?|hryvnias?|yuan|yen|USD|EUR|cents?)\b", re.I
    ),
    "percent": re.compile(r"%|\bper ?cent\b|\bpercentage points?\b", re.I),
    "distance": re.compile(r"\b(?:miles?|kilomet(?:er|re)s?|km|met(?:er|re)s?|feet|yards)\b", re.I),
    "duration": re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b", re.I),
    "weight": re.compile(r"\b(?:grams?|kilo(?:gram)?s?|kg|pounds?|lbs?|ounces?|oz|tons?|tonnes?)\b", re.I),
    "size": re.compile(
        r"\b(?:(?:milli|centi|kilo)?met(?:er|re)s?|mm|cm|km|inch(?:es)?|feet|foot|ft|yards?|miles?|acres?"
        r"|hectares?)\b",
        re.I,
    ),
    "age": re.compile(r"\d+-year-old|\baged? \d+|\b\d+ years old\b", re.I),
    "population": re.compile(r"\b(?:population|residents|inhabitants|people live|living in|home to)\b", re.I),
}
_LEAD = r"^\s*(?:(?:and|so|then|in|at|on|by|for|from|to|of|since|until)\s+)?"
# (kind, question pattern), first match wins: the specific numeric kinds before the general ones.
_ASKS: list[tuple[str, re.Pattern[str]]] = [
    ("population", re.compile(r"\bpopulation\b|\bhow many (?:people|residents|inhabitants) live\b", re.I)),
    (
        "money",
        re.compile(
            r"\b(?:what|how much)\b.*\b(?:price|prices|cost|costs|fee|fees|fare|fares|salary|wage|worth|value)\b"
            r"|^\s*how much (?:money|\w+ (?:.* )?"
            r"(?:cost|pay|paid|spend|spent|charge|sell|sold|buy|bought|earn|raise|raised|fund))\b",
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
            r"\b(?:which|what) (?:company|companies|firm|organi[sz]ation|agency|group|institute|outlet|newspaper|"
            r"bank|party|ministry|body|service)\b",
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            _LEAD + r"(?:who|whom|whose)\b|\b(?:which|what) (?:\w+ )?(?:person|people|official|officials|leader|"
            r"minister|president|man|woman|councilmember|councilman|councilwoman|councillor|lawmaker|senator|"
            r"representative|governor|mayor|executive|spokes(?:man|woman|person)|author|scientist|researcher|"
            r"player|coach|candidate|judge|member|director|chief|commander|general|envoy)\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            _LEAD + r"(?:where\b|(?:what|which) (?:city|country|region|place|town|state|province|village|area)\b)", re.I
        ),
    ),
]
_NUMERIC = frozenset(
    ["count", "number", "money", "weight", "size", "percent", "distance", "duration", "age", "population"]
)
_AUX = r"did|does|do|has|have|had|will|would|were|was|are|is|can|could"
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


def _focus(question: str) -> str | None:
    m = _FOCUS.search(question)
    toks = tokenize(m["head"]) if m else []
    return toks[0] if toks and toks[0] not in _GENERIC_HEADS and toks[0] not in _FUNCTION else None


def _subject_verb(question: str) -> tuple[str, list[str]] | None:
    m = _SUBJECT_VERB.search(question)
    return (m["subj"].lower(), tokenize(m["run"].split()[-1])) if m else None


_DEFINITION = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+(?:the\s+)?[A-Z]")

# Sentences that are page furniture or poor answers.
_BYLINE = re.compile(
    r"^\s*(?:by\s+[A-Z]|\(?(?:AP|Reuters|AFP)\)?\s*[-—–]|photo|image|credit|copyright|©)"
    r"|\bwrites? for\b|\bcontributed (?:to )?(?:this|reporting)\b|\bGetty Images\b|\ball rights reserved\b",
    re.I,
)
_DANGLING = re.compile(r"^(?:It|This|That|These|Those|They|He|She|But|And|Also|However|Still|Yet)\b")
_ANAPHOR = re.compile(r"^(?:It|Its|He|His|She|Her|They|Their|The (?:company|firm|group|plant|city|town))\b")
_SUMMARY_CANDIDATES = 80
# Summary priors. News is written most-important-first: a sentence's place in its article is
# worth up to _EARLY (the first) down to 0 (the last). Sentences of one story sit 0.4-0.6 apart in
# cosine anyway; only closeness beyond _SAME_TOPIC counts as repeating a chosen sentence.
_EARLY = 0.25
_SAME_TOPIC = 0.4
# A quotation: opened after a space or bracket, closed before a space or punctuation, so the
# apostrophes of "Korea's" or "don't" neither open nor close one.
_QUOTED = re.compile(r"(?:^|(?<=[\s(\[—-]))[\"“‘'](?=\w).{10,}?[\w.,!?…][\"”’'](?=[\s,.;:!?)\]—-]|$)")
_QUOTE_OPEN = "'\"‘“"
# Relevance = w·coverage + (1-w)·cosine. Lexical coverage gets the larger share: MiniLM's cosine
# between a short question and a long news sentence is noisy, exact terms are not.
_COVERAGE_WEIGHT = 0.6


@dataclass(frozen=True)
class Ask:
    """What a question asks for: its kind (None: any statement) and, for counts, the counted noun."""

    kind: str | None
    unit: str | None = None


def classify(question: str) -> Ask:
    if _DEFINITION.search(question):
        return Ask(None)  # "Who is Keith Kellogg?" wants a description, not another name
    kind = next((k for k, pat in _ASKS if pat.search(question)), None)
    unit = None
    if kind == "count" and (m := _COUNTED.search(question) or _COUNTED_BARE.search(question)):
        toks = tokenize(m["np"].split()[-1])
        unit = toks[-1] if toks else None
    return Ask(kind, unit)


def _names(sentence: str, question_words: set[str]) -> list[str]:
    """Named-entity-like spans of the sentence that the question does not already mention."""
    out = []
    for m in _NAME.finditer(sentence):
        words = [w.strip("'’.").lower() for w in m.group().split()]
        if all(w in question_words or w in _NOT_NAMES for w in words):
            continue
        out.append(m.group())
    return out


def fits(ask: Ask, question: str, sentence: str) -> float:
    """How well the sentence holds what is asked: 0 (not at all) to 1.2 (with the counted noun)."""
    kind = ask.kind
    if kind is None:
        return 1.0
    q_words = {w.strip("'’.,?").lower() for w in question.split()}
    if kind in _NUMERIC:
        new_numbers = numbers(sentence) - numbers(question)
        number_words = [m.group() for m in _NUMBER.finditer(sentence) if not m.group()[0].isdigit()]
        if not new_numbers and not [w for w in number_words if w.lower() not in q_words]:
            return 0.0
        cue = _CUES.get(kind)
        if cue is not None and not cue.search(sentence):
            return 0.0
        if kind == "count" and ask.unit:
            # "How many drones" is not answered by "a half-dozen coffins".
            return 1.2 if _counts(sentence, ask.unit) else 0.0
        return 1.0
    if kind == "date":
        return float(any(m.group().lower() not in question.lower() for m in _DATE.finditer(sentence)))
    names = _names(sentence, q_words)
    if kind == "person":
        multi = [n for n in names if len(n.split()) >= 2]
        speakers = [m.group() for m in _SPEAKER.finditer(sentence) if m.group().split()[0].lower() not in q_words]
        return float(bool(multi or speakers))
    if kind == "org":
        return float(bool(names or [a for a in _ACRONYM.findall(sentence) if a.lower() not in q_words]))
    # place
    return float(any(m.group().split()[-1].lower() not in q_words for m in _PLACE.finditer(sentence)))


_PEOPLE = frozenset(
    tokenize(
        "people persons civilians residents inhabitants soldiers troops servicemen fighters workers employees "
        "staff members men women children victims passengers casualties"
    )
)


def _counts(sentence: str, unit: str) -> bool:
    """A number followed within a few words by the counted noun: "5,438 drones", "three people"."""
    toks = re.findall(r"[\w'’.,-]+", sentence)
    same = _PEOPLE if unit in _PEOPLE else frozenset([unit])
    for i, tok in enumerate(toks):
        if _NUMBER.match(tok):
            for nxt in toks[i + 1 : i + 5]:
                if set(tokenize(nxt)) & same:
                    return True
    return False


def roles_swapped(question: str, sentence: str) -> bool:
    """True if the question's subject shows up in the sentence only after the asked-about verb."""
    found = _subject_verb(question)
    if not found:
        return False
    subj, verb = found
    if not verb:
        return False
    # In "'We urge a ceasefire,' Kellogg said" the quoted words are not the narration's verb.
    low = _QUOTED.sub(" ", sentence).lower()
    subj_at = low.find(subj)
    verb_at = next((w.start() for w in re.finditer(r"[a-z]+", low) if tokenize(w.group()) == verb), -1)
    return subj_at >= 0 and verb_at >= 0 and subj_at > verb_at


def usable(sentence: str) -> bool:
    """False for page furniture: fragments, headings, all-caps labels, bylines, credits."""
    words = sentence.split()
    if len(words) < 4 or len(sentence) > 700:
        return False
    letters = [c for c in sentence if c.isalpha()]
    if not letters or sum(c.islower() for c in letters) / len(letters) < 0.5:
        return False
    # A short line with no closing punctuation is a heading or a caption, not a statement.
    if len(words) < 10 and not re.search(r"[.!?…][\"'”’)\]]*$", sentence):
        return False
    return not _BYLINE.search(sentence)


_DEMONYM = re.compile(r"\b[A-Z][a-z]+?(?:ian|ean|an|n)\b")


def _content(text: str) -> frozenset[str]:
    """Content terms; a proper adjective also counts as its place (Ukrainian: Ukraine)."""
    terms = {t for t in tokenize(text) if t not in _FUNCTION}
    for m in _DEMONYM.finditer(text):
        word = m.group()
        for suffix in ("ian", "ean", "an", "n"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                terms.update(tokenize(word[: -len(suffix)]))
    return frozenset(terms)


def _quoted_share(sentence: str) -> float:
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(sentence))
    if sentence[:1] in _QUOTE_OPEN:
        quoted = max(quoted, len(sentence) // 2 + 1)
    return quoted / max(len(sentence), 1)


@dataclass(frozen=True)
class _Sentence:
    source: Source
    text: str
    start: int  # offsets in the chunk
    end: int
    terms: frozenset[str]
    first: bool  # the article's first usable sentence
    topic: frozenset[str]  # content terms of the article's title

    @property
    def at(self) -> int:
        return self.source.hit.chunk.start + self.start

    def reads_on(self, other: _Sentence) -> bool:
        """``other`` continues this sentence's subject: it follows closely in the same article
        (possibly in another chunk) and either repeats one of its terms ("a plant in Izhevsk ...
        The drone struck the Kupol plant") or comes right after it and refers back ("It employs").
        """
        if self.source.hit.article.id != other.source.hit.article.id:
            return False
        gap = other.at - (self.source.hit.chunk.start + self.end)
        if gap <= 0 or gap > 120:  # at most one short sentence between them
            return False
        return bool(self.terms & other.terms) or (gap <= 4 and bool(_ANAPHOR.match(other.text)))


def _sentences(sources: Sequence[Source], limit: int) -> list[_Sentence]:
    """Usable sentences of the sources, by source rank then position; each sentence once."""
    seen: set[str] = set()
    out: list[_Sentence] = []
    titles: dict[str, frozenset[str]] = {}
    for src in sources:
        chunk = src.hit.chunk.text
        lead = src.hit.chunk.position == 0
        topic = titles.setdefault(src.hit.article.id, _content(src.hit.article.title))
        for s, e in sentence_spans(chunk):
            text = chunk[s:e]
            # Overlapping chunks repeat sentences, and outlets repeat wire copy word for word.
            key = normalize_ws(text).lower()
            if not usable(text):
                continue
            if key not in seen:
                seen.add(key)
                out.append(_Sentence(src, text, s, e, _content(text), lead, topic))
                if len(out) >= limit:
                    return out
            lead = False
    return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _r(x: float) -> float:
    return round(float(x), 4)


class ExtractiveEngine:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_sentences: int = 3,
        abstain_threshold: float = 0.5,
        min_coverage: float = 0.5,
        min_similarity: float = 0.1,
        max_candidates: int = 60,
        embed_limit: int = 10,
        redundancy: float = 0.8,
    ) -> None:
        """``abstain_threshold``: the least relevance, ``0.6·coverage + 0.4·cosine``, the best
        candidate needs for an answer. At the least coverage allowed (``min_coverage``, half the
        question's weighted terms) it takes a cosine of 0.5, a close paraphrase; a sentence with
        every term of the question passes on coverage alone, as long as its cosine reaches
        ``min_similarity`` (a floor against a sentence that has the words but another subject).
        On the seed page, answered questions score 0.57-0.94 and unanswered near-topic ones
        that get this far 0.43-0.46; most unanswered ones fail the kind or entity test first.

        ``embed_limit`` caps the sentences embedded per question (the embedder is the cost: a few
        ms per sentence uncached); only candidates that could pass the coverage test are embedded.
        """
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.abstain_threshold = abstain_threshold
        self.min_coverage = min_coverage
        self.min_similarity = min_similarity
        self.max_candidates = max_candidates
        self.embed_limit = embed_limit
        self.redundancy = redundancy

    def prompt_version(self, task: Task) -> str | None:
        return None

    # -- answers --------------------------------------------------------------------------------

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        return self._draft(self._select(question, sources))

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[str | Draft]:
        draft = self.answer(question, sources)
        for s in draft.sentences:
            yield s.text + " "
        yield draft

    def check_ready(self) -> None:
        return None  # in-process and offline: ready once constructed

    def explain(self, question: str, sources: Sequence[Source]) -> list[dict[str, object]]:
        """The scored candidates, best first: for calibration and debugging."""
        return [
            {
                "text": " | ".join(u.texts),
                "coverage": u.coverage,
                "similarity": u.similarity,
                "fit": u.fit,
                "relevance": u.relevance,
                "score": u.score,
                "passes": u.passes,
            }
            for u in self._rank(question, sources)
        ]

    def _rank(self, question: str, sources: Sequence[Source]) -> list[_Unit]:
        """Candidates that could answer, best first; empty if none covers enough of the question."""
        question = question.strip()
        sents = _sentences(sources, self.max_candidates)
        terms = [t for t in dict.fromkeys(tokenize(question)) if t not in _FUNCTION]
        if not sents or not terms:
            return []
        n = len(sents)
        # Terms few sentences share carry the question's specifics, and names and numbers most of all.
        q_body = re.sub(r"^\W*\w+", "", question)  # its first word is capitalised anyway
        # A multiword name is one specific, so its words share its weight.
        share = {t: 1.5 for t in numbers(question)}
        names = [toks for name in _NAME.findall(q_body) if (toks := _content(name))]
        for toks in names:
            share.update({t: 1.5 / len(toks) for t in toks})
        names += [frozenset([x]) for x in numbers(question)]

        def entities(unit: list[_Sentence]) -> float:
            """Share of the question's names and numbers that the sentences, or the titles of their
            articles, mention: a sentence about the article's subject may call it "Kim", not
            "North Korea", but a sentence about some other subject is no answer."""
            if not names:
                return 1.0
            seen = frozenset().union(*(s.terms | s.topic for s in unit))
            return _r(sum(len(toks & seen) / len(toks) >= 0.5 for toks in names) / len(names))

        # A verb no passage uses is likely paraphrased ("give" for "gifted") and counts half; one
        # the passages do use is the very predicate asked about ("When was the dam completed?").
        verb = set(found[1]) if (found := _subject_verb(question)) else set()
        df = {t: sum(t in s.terms for s in sents) for t in terms}
        weight = {
            t: math.log(1 + n / (1 + df[t])) * share.get(t, 0.5 if t in verb and not df[t] else 1.0) for t in terms
        }
        total = sum(weight.values())

        def coverage(tokens: frozenset[str]) -> float:
            return _r(sum(w for t, w in weight.items() if t in tokens) / total)

        ask = classify(question)
        fit = [0.0 if roles_swapped(question, s.text) else fits(ask, question, s.text) for s in sents]
        singles = [_Unit((i,), [s], coverage(s.terms), fit[i]) for i, s in enumerate(sents)]
        focus = _focus(question)

        def eligible(u: _Unit) -> bool:
            return (
                u.fit > 0
                and u.coverage >= self.min_coverage
                and entities(u.sentences) >= 0.6
                and (focus is None or focus in u.terms)
            )

        # Two sentences in a row answer together when one holds the asked-for thing and the other
        # names what the question is about ("...a plant in Izhevsk." + "The drone struck the Kupol
        # plant..."), and neither answers alone. Pairs are a fallback for when no single sentence
        # answers; the sentences keep their reading order.
        pairs = []
        in_text_order = sorted(range(n), key=lambda i: (sents[i].source.hit.article.id, sents[i].at))
        for k, a in enumerate(in_text_order):
            for b in in_text_order[k + 1 : k + 3]:  # the next sentence, or the one after it
                s, t = sents[a], sents[b]
                if max(fit[a], fit[b]) == 0 or eligible(singles[a]) or eligible(singles[b]) or not s.reads_on(t):
                    continue
                # The pair holds the asked-for thing through a sentence that does hold it.
                pair = _Unit((a, b), [s, t], coverage(s.terms | t.terms), max(fit[a], fit[b]))
                if pair.coverage > min(singles[a].coverage, singles[b].coverage) and eligible(pair):
                    pairs.append(pair)
        hopeful = [u for u in singles + pairs if eligible(u)]
        if not hopeful:
            return []
        # Embed only what can still pass and still win, most promising first: each sentence costs
        # milliseconds. Cosines differ by less than 0.5 between plausible answers, so a candidate
        # that trails the best coverage by more than 0.35 cannot make up the lost relevance.
        top = max(u.coverage for u in hopeful)
        hopeful = [u for u in hopeful if u.coverage >= top - 0.35]
        hopeful.sort(key=lambda u: (-_r(u.coverage + 0.1 * u.fit), len(u.idx), u.idx))
        todo = list(dict.fromkeys(i for u in hopeful for i in u.idx))[: self.embed_limit]
        row = {i: r for r, i in enumerate(todo)}
        hopeful = [u for u in hopeful if all(i in row for i in u.idx)]
        vecs = self.embedder.embed([question, *(sents[i].text for i in todo)])
        sims = vecs[1:] @ vecs[0]
        for u in hopeful:
            v = vecs[1:][[row[i] for i in u.idx]].mean(axis=0)
            u.vec = v / max(float(np.linalg.norm(v)), 1e-9)
            u.similarity = _r(max(float(sims[row[i]]) for i in u.idx))
            u.relevance = _r(_COVERAGE_WEIGHT * u.coverage + (1 - _COVERAGE_WEIGHT) * u.similarity)
            u.passes = u.relevance >= self.abstain_threshold and u.similarity >= self.min_similarity
            best_rank = min(sents[i].source.n for i in u.idx)
            u.score = _r(u.relevance + 0.1 * (u.fit - 1) + 0.03 / best_rank)
        single_passes = any(u.passes for u in hopeful if len(u.idx) == 1)
        hopeful.sort(key=lambda u: (single_passes and len(u.idx) > 1, -u.score, u.idx))
        return hopeful

    def _select(self, question: str, sources: Sequence[Source]) -> list[_Sentence]:
        ranked = self._rank(question, sources)
        if not ranked or not ranked[0].passes:
            return []
        best = ranked[0]
        chosen = [best]
        used = set(best.idx)
        words = set(best.terms) | set(tokenize(question))
        for u in ranked[1:]:
            if len(used) + len(u.idx) > self.max_sentences or used & set(u.idx):
                continue
            # Another sentence must answer nearly as well and be about the same things.
            if not u.passes or u.relevance < 0.9 * best.relevance or u.coverage < 0.9 * best.coverage:
                continue
            if len(u.idx) > 1 and len(best.idx) == 1:
                continue
            # MMR: what is close to a chosen sentence repeats it; what adds few words adds little.
            if max(float(u.vec @ c.vec) for c in chosen) >= self.redundancy:
                continue
            if any(_jaccard(a.terms, b.terms) >= 0.5 for a in u.sentences for c in chosen for b in c.sentences):
                continue
            if len(u.terms - words) < 3:
                continue
            chosen.append(u)
            used |= set(u.idx)
            words |= u.terms
        return [s for u in chosen for s in u.sentences]

    # -- summaries ------------------------------------------------------------------------------

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        sents = _sentences(sources, _SUMMARY_CANDIDATES)
        if not sents:
            return Draft(abstained=True, engine=self.name)
        topic = (topic or "").strip()
        titles = list(dict.fromkeys(s.source.hit.article.title for s in sents))
        head = [topic] if topic else []
        vecs = self.embedder.embed([*head, *titles, *(s.text for s in sents)])
        tv = vecs[0]  # only read when there is a topic
        title_v, sv = vecs[len(head) : len(head) + len(titles)], vecs[len(head) + len(titles) :]
        # Central: close to the centroid of the material (≈ high mean similarity to the other
        # sentences), to its own article's headline, and to the topic when there is one.
        centroid = sv.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        headline = np.einsum("ij,ij->i", sv, title_v[[titles.index(s.source.hit.article.title) for s in sents]])
        central = 0.6 * (sv @ centroid) + 0.4 * headline
        if topic:
            central = 0.6 * central + 0.4 * (sv @ tv)
        # News is written most-important-first: the lead summarises, and earlier sentences matter
        # more than later ones. Quotes, fragments, run-ons and sentences leaning on one we may not
        # show ("It is also...", "This helped...") summarise badly.
        dangling = [bool(_DANGLING.match(s.text)) for s in sents]
        by_article: dict[str, list[int]] = {}
        for i in sorted(range(len(sents)), key=lambda i: sents[i].at):
            by_article.setdefault(sents[i].source.hit.article.id, []).append(i)
        early = np.zeros(len(sents))
        for idx in by_article.values():
            for r, i in enumerate(idx):
                early[i] = _EARLY * (1 - r / len(idx))
        prior = np.array(
            [
                0.05 * (s.first and not d)
                - 0.15 * d
                - 0.2 * (_quoted_share(s.text) > 0.4)
                - 0.1 * (len(s.text.split()) < 8)
                - 0.05 * (len(s.text.split()) > 45)
                for s, d in zip(sents, dangling, strict=True)
            ]
        )
        value = central + prior + early
        pool = list(range(len(sents)))
        if topic:
            # Retrieval brings in articles that merely share a word with the topic; those are no
            # part of a summary of it. An article is on topic by its headline or its best sentence.
            on_topic: dict[str, float] = {}
            for i, s in enumerate(sents):
                a = s.source.hit.article
                best = max(float(sv[i] @ tv), float(title_v[titles.index(a.title)] @ tv))
                on_topic[a.id] = max(on_topic.get(a.id, -1.0), best)
            floor = max(on_topic.values()) - 0.3
            pool = [i for i in pool if on_topic[sents[i].source.hit.article.id] >= floor]
        want = min(max_sentences, len(pool), max(3, math.ceil(len(pool) / 3)))
        chosen: list[int] = []
        while len(chosen) < want:
            best_i, best_v = -1, -math.inf
            for i in pool:
                if i in chosen:
                    continue
                overlap = max((float(sv[i] @ sv[j]) for j in chosen), default=0.0)
                if overlap >= self.redundancy or any(_jaccard(sents[i].terms, sents[j].terms) >= 0.5 for j in chosen):
                    continue  # never two sentences saying the same thing
                v = _r(0.7 * float(value[i]) - 0.3 * max(0.0, overlap - _SAME_TOPIC))
                if v > best_v:
                    best_i, best_v = i, v
            if best_i < 0:
                break
            chosen.append(best_i)
        # Reading order: articles in the order the sources first show them, then text position.
        first_seen: dict[str, int] = {}
        for src in sources:
            first_seen.setdefault(src.hit.article.id, len(first_seen))
        picked = sorted((sents[i] for i in chosen), key=lambda s: (first_seen[s.source.hit.article.id], s.at))
        return self._draft(picked)

    def _draft(self, chosen: Sequence[_Sentence]) -> Draft:
        if not chosen:
            return Draft(abstained=True, engine=self.name)
        return Draft(
            sentences=[DraftSentence(text=s.text, cites=[s.source.n], quotes={s.source.n: s.text}) for s in chosen],
            engine=self.name,
        )


@dataclass
class _Unit:
    """A candidate answer: one sentence, or two adjacent ones that only together answer."""

    idx: tuple[int, ...]
    sentences: list[_Sentence]
    coverage: float
    fit: float
    similarity: float = 0.0
    relevance: float = 0.0
    score: float = 0.0
    passes: bool = False
    vec: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.float32))

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.sentences]

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*(s.terms for s in self.sentences))
