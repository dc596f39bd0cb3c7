"""Citation verification: the only path from an engine's draft to text a user sees.

Rules, for every engine:
- a sentence must cite at least one source, and every number it cites must be a passage
  the engine was shown;
- every quote is a verbatim span of the cited article's stored text (whitespace-normalised)
  that holds no markup and no text addressed to a model (a prompt injection is never support);
  when the engine gives none, or one that is not verbatim, the best-supporting sentences of the
  cited passage are quoted instead;
- the quote must support the sentence: most of its content words, and all of its numbers,
  appear in the quote(s);
- a sentence that fails is dropped, and so is one that itself addresses a model; if none
  survives, the answer abstains;
- citations are renumbered in order of first use, so every ``[n]`` resolves and every
  citation is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field

from qa.engines.base import Draft, DraftSentence, Source
from qa.text import addressed_to_model, content_tokens, normalize_ws, numbers, sentence_spans, strip_markup

ABSTAIN_MESSAGE = "The articles I have do not answer this."
_MARKER = re.compile(r"\s*\[(\d+)\]")


class Citation(BaseModel):
    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str | None = None
    url: str | None = None
    published: datetime | date | None = None
    quote: str


class VerifiedAnswer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    dropped: int = Field(default=0, description="Draft sentences removed because a check failed.")
    notes: list[str] = Field(default_factory=list)


ArticleText = Callable[[str], str | None]


def quotable(quote: str) -> bool:
    """Never quoted, even verbatim: links, images and markup, and instructions aimed at a model."""
    return strip_markup(quote) == quote and not addressed_to_model(quote)


def support(claim: str, quote: str) -> float:
    """Share of the claim's content words found in the quote; 0 if a number is missing."""
    if not numbers(claim) <= numbers(quote):
        return 0.0
    words = content_tokens(claim)
    if not words:
        return 0.0
    return len(words & content_tokens(quote)) / len(words)


def best_quote(claim: str, passage: str, max_sentences: int = 2) -> tuple[str, float]:
    """The window of up to ``max_sentences`` consecutive sentences that best supports the claim."""
    spans = sentence_spans(passage)
    best, best_score = "", -1.0
    for i in range(len(spans)):
        for j in range(i, min(i + max_sentences, len(spans))):
            quote = passage[spans[i][0] : spans[j][1]]
            if not quotable(quote):
                break
            score = support(claim, quote)
            # Prefer the shorter window on ties: a quote should be as precise as it can be.
            tie = abs(score - best_score) <= 1e-9
            if score > best_score + 1e-9 or (tie and len(quote) < len(best)):
                best, best_score = quote, score
    return best, best_score


def verify(
    draft: Draft,
    sources: Sequence[Source],
    article_text: ArticleText,
    *,
    min_support: float = 0.6,
) -> VerifiedAnswer:
    by_n = {s.n: s for s in sources}
    texts: dict[str, str | None] = {}

    def stored(article_id: str) -> str | None:
        if article_id not in texts:
            texts[article_id] = _normalized(article_text(article_id))
        return texts[article_id]

    kept: list[tuple[str, list[tuple[Source, str]]]] = []
    dropped = 0
    for sentence in draft.sentences:
        checked = _check_sentence(sentence, by_n, stored, min_support)
        if checked is None:
            dropped += 1
        else:
            kept.append(checked)

    if draft.abstained or not kept:
        return VerifiedAnswer(text=ABSTAIN_MESSAGE, abstained=True, dropped=dropped, notes=draft.notes)

    numbering: dict[tuple[str, str], int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for text, cited in kept:
        marks = []
        for src, quote in cited:
            key = (src.hit.chunk.id, quote)
            if key not in numbering:
                numbering[key] = len(numbering) + 1
                a = src.hit.article
                citations.append(
                    Citation(
                        n=numbering[key],
                        article_id=a.id,
                        chunk_id=src.hit.chunk.id,
                        title=a.title,
                        source=a.source,
                        url=a.url,
                        published=a.published,
                        quote=quote,
                    )
                )
            marks.append(f"[{numbering[key]}]")
        parts.append(f"{text} {''.join(dict.fromkeys(marks))}")
    return VerifiedAnswer(text=" ".join(parts), citations=citations, dropped=dropped, notes=draft.notes)


def verified_sentence(
    sentence: DraftSentence, sources: Sequence[Source], article_text: ArticleText, *, min_support: float = 0.6
) -> str | None:
    """The sentence's text as a user may see it if it passes the checks :func:`verify` applies,
    else None: what a stream may show before the whole answer is verified."""
    checked = _check_sentence(sentence, {s.n: s for s in sources}, lambda a: _normalized(article_text(a)), min_support)
    return checked[0] if checked else None


def _normalized(text: str | None) -> str | None:
    return normalize_ws(text) if text is not None else None


def _check_sentence(
    sentence: DraftSentence,
    by_n: dict[int, Source],
    stored: Callable[[str], str | None],
    min_support: float,
) -> tuple[str, list[tuple[Source, str]]] | None:
    # Markers inside the text are folded into the cites; markup never reaches the user.
    cites = list(dict.fromkeys([*sentence.cites, *(int(m) for m in _MARKER.findall(sentence.text))]))
    text = normalize_ws(strip_markup(_MARKER.sub("", sentence.text)))
    if not text or not cites or any(n not in by_n for n in cites) or addressed_to_model(text):
        return None
    cited: list[tuple[Source, str]] = []
    for n in cites:
        src = by_n[n]
        article = stored(src.hit.article.id)
        if article is None:
            return None
        # An engine's own quote is used only if it is verbatim; otherwise the passage's
        # best-supporting sentences are quoted. Either way the support check below decides.
        quote = normalize_ws(sentence.quotes.get(n) or "")
        if not quote or quote not in article or not quotable(quote):
            quote = normalize_ws(best_quote(text, src.hit.chunk.text)[0])
        if not quote or quote not in article:
            return None
        cited.append((src, quote))
    joined = " ".join(q for _, q in cited)
    if support(text, joined) < min_support:
        return None
    # Keep only the sources that contribute; a decorative extra citation is not support.
    useful = [(s, q) for s, q in cited if support(text, q) > 0]
    return text, useful or cited
