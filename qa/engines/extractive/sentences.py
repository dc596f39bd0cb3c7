"""The sentences of retrieved passages that could be quoted as an answer, and their terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.engines.base import Source
from qa.engines.extractive.patterns import FUNCTION
from qa.prose import ANAPHOR, usable
from qa.text import normalize_ws, sentence_spans
from qa.tokens import tokenize

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
        return bool(self.terms & other.terms) or (gap <= 4 and bool(ANAPHOR.match(other.text)))


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


def rounded(x: float) -> float:
    return round(float(x), 4)
