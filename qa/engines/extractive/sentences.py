"""The sentences of retrieved passages that could be quoted as an answer, and their terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.engines.base import Source
from qa.engines.extractive.patterns import FUNCTION, QUOTE_OPEN, QUOTED
from qa.text import addressed_to_model, normalize_ws, sentence_spans
from qa.tokens import tokenize

# Sentences that are page furniture or poor answers.
_BYLINE = re.compile(
    r"^\s*(?:by\s+[A-Z]|\(?(?:AP|Reuters|AFP)\)?\s*[-—–]|photo|image|credit|copyright|©)"
    r"|\bwrites? for\b|\bcontributed (?:to )?(?:this|reporting)\b|\bGetty Images\b|\ball rights reserved\b",
    re.I,
)
DANGLING = re.compile(r"^(?:It|This|That|These|Those|They|He|She|But|And|Also|However|Still|Yet)\b")
_ANAPHOR = re.compile(r"^(?:It|Its|He|His|She|Her|They|Their|The (?:company|firm|group|plant|city|town))\b")


def leans_on_previous(sentence: str) -> bool:
    """Whether a sentence needs the one before it to be read: "It employs …", "The plant's …"."""
    return bool(DANGLING.match(sentence) or _ANAPHOR.match(sentence))


def usable(sentence: str) -> bool:
    """False for page furniture (fragments, headings, all-caps labels, bylines, credits) and for
    instructions aimed at a model."""
    words = sentence.split()
    if len(words) < 4 or len(sentence) > 700:
        return False
    letters = [c for c in sentence if c.isalpha()]
    if not letters or sum(c.islower() for c in letters) / len(letters) < 0.5:
        return False
    # A short line with no closing punctuation is a heading or a caption, not a statement.
    if len(words) < 10 and not re.search(r"[.!?…][\"'”’)\]]*$", sentence):
        return False
    return not _BYLINE.search(sentence) and not addressed_to_model(sentence)


_DEMONYM = re.compile(r"\b[A-Z][a-z]+?(?:ian|ean|an|n)\b")


def content_terms(text: str) -> frozenset[str]:
    """Content terms; a proper adjective also counts as its place (Ukrainian: Ukraine)."""
    terms = {t for t in tokenize(text) if t not in FUNCTION}
    for m in _DEMONYM.finditer(text):
        word = m.group()
        for suffix in ("ian", "ean", "an", "n"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                terms.update(tokenize(word[: -len(suffix)]))
    return frozenset(terms)


def quoted_share(sentence: str) -> float:
    quoted = sum(len(m.group()) for m in QUOTED.finditer(sentence))
    if sentence[:1] in QUOTE_OPEN:
        quoted = max(quoted, len(sentence) // 2 + 1)
    return quoted / max(len(sentence), 1)


@dataclass(frozen=True)
class Sentence:
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

    @property
    def whole(self) -> str:
        """The sentence as a reader reads it. The ranker's split (the one its weights were trained
        on) may end a sentence at an abbreviation before a lower-case word ("…in Washington D.C."
        | "in a catastrophic crash…"); an answer quotes all of it."""
        chunk = self.source.hit.chunk.text
        for a, b in sentence_spans(chunk, join_lowercase=True):
            if a <= self.start and self.end <= b:
                return chunk[a:b] if usable(chunk[a:b]) else self.text  # not a run-on paragraph
        return self.text

    def reads_on(self, other: Sentence) -> bool:
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


def passage_sentences(sources: Sequence[Source], limit: int, *, join_lowercase: bool = False) -> list[Sentence]:
    """Usable sentences of the sources, by source rank then position; each sentence once
    (``join_lowercase`` as :func:`qa.text.sentence_spans`)."""
    seen: set[str] = set()
    out: list[Sentence] = []
    titles: dict[str, frozenset[str]] = {}
    for src in sources:
        chunk = src.hit.chunk.text
        lead = src.hit.chunk.position == 0
        topic = titles.setdefault(src.hit.article.id, content_terms(src.hit.article.title))
        for s, e in sentence_spans(chunk, join_lowercase=join_lowercase):
            text = chunk[s:e]
            # Overlapping chunks repeat sentences, and outlets repeat wire copy word for word.
            key = normalize_ws(text).lower()
            if not usable(text):
                continue
            if key not in seen:
                seen.add(key)
                out.append(Sentence(src, text, s, e, content_terms(text), lead, topic))
                if len(out) >= limit:
                    return out
            lead = False
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def rounded(x: float) -> float:
    return round(float(x), 4)
