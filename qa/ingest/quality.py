"""What ingest refuses or trims so that one article cannot degrade search for everyone.

One article of a repeated paragraph used to become 1,175 near-identical chunks that crowded every
neighbourhood of the vector index (a third of the stored vectors stopped finding themselves).
So: text with almost no distinct words is refused; chunks of one article that repeat an earlier
one are stored once; and an article may not exceed a number of chunks.

Text in no language the embedder reads (lorem ipsum, gibberish, a mis-decoded file) is refused too.
Each such article passes every other check, and 200 of them, all different, embed close enough to
one another to become one story of 167 articles that led a busy day's briefing.

Across articles, a flood of copies (one text under many ids, a job at a time) is refused once
enough copies are stored: they would crowd search, and make one story's article count, which
ranks the briefing, whatever the sender likes. Syndicated news runs a story under a few outlets'
names, not dozens.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

import numpy as np

from qa.embeddings import TOKENIZER_PATH
from qa.models import Chunk

# Long enough to judge: a short text may legitimately repeat itself.
_MIN_WORDS_TO_JUDGE = 1000
# Share of distinct words below which text carries no information. Real long articles sit at
# 0.2-0.4; a paragraph repeated a hundred times at under 0.01.
MIN_DISTINCT_SHARE = 0.05
# Chunks sharing this share of their word trigrams say the same thing.
NEAR_DUPLICATE = 0.8
_WORD = re.compile(r"\w+")
# A chunk copies another article's when their texts share NEAR_DUPLICATE of their word trigrams
# (verbatim, whatever was added), or, both of SHORT_WORDS or more, when they share COPY_TRIGRAMS of
# them (Jaccard), COPY_WORDS of their words (counted with repeats, over the longer) and COPY_FACTS
# of the names, and of the numbers, of the one with fewer.
# - A spinner swaps ordinary words and keeps the facts, so a spun copy counts (a fifth of the
#   words swapped: 0.73 of copy pairs still count).
# - Items of one template do not ("Ferry line 12 opens", "Ferry line 13 opens": the number
#   differs), nor short lines that differ in a word ("the northern lane", "the southern lane"),
#   nor random words of a small vocabulary (the load test's texts: trigrams at most 0.10).
# - Over 4,000 dev-corpus chunks the rule finds one or more other articles for 3.3% (syndication
#   and outlets' boilerplate; 2.5% at the verbatim bar alone), and never 20 for every chunk of an
#   article. Figures: bench/tools/spun_copies.py, bench/README.
COPY_TRIGRAMS = 0.2
SHORT_WORDS = 25
COPY_WORDS = 0.6
COPY_FACTS = 0.6
# Candidates come from one batched vector query: those at cosine NEAR_COPY or more. It is low
# because the vectors embed the title too, and a copy sent under another title drifts (one
# 17-word sentence under "Pier 0" … "Pier 22": 0.88 to 0.95), as does a spun copy (a fifth of its
# ordinary words swapped: p50 0.87 from its original, p10 0.77); the texts decide. Over 2,979 chunks of
# 210 dev-corpus articles the nearest other-article cosine is p50 0.49, p90 0.64, so real news
# brings few candidates to read.
NEAR_COPY = 0.7
BATCH_WINDOW = 256  # chunks earlier in a batch that one is compared with by vector (a write's worth)


def low_information(text: str) -> str | None:
    """Why the text is not worth storing, or None."""
    words = _WORD.findall(text.lower())
    if len(words) < _MIN_WORDS_TO_JUDGE:
        return None
    distinct = len(set(words))
    if distinct / len(words) < MIN_DISTINCT_SHARE:
        return f"low-information text: {distinct:,} distinct words in {len(words):,}"
    return None


# Fewer letter-words than this are too few to judge a language by.
_MIN_WORDS_TO_READ = 20
LETTER_WORDS = re.compile(r"[^\W\d_]+")
# The stop words of Gopher's quality filter (Rae et al. 2021): English prose cannot do without them.
GLUE_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
MIN_GLUE_SHARE = 0.02  # one in 50 words, so at least one in a text of 20


@cache
def vocabulary() -> frozenset[str]:
    """The whole words of MiniLM's WordPiece vocabulary (English, lower case): what it reads as words."""
    vocab = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if not w.startswith("##"))


def plain_text(text: str) -> str:
    """Lower case without accents, as MiniLM's tokenizer reads text ("café" is "cafe")."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def unreadable(text: str, min_known: float) -> str | None:
    """Why the embedder cannot read the text as prose, or None: too few of its words are in its
    vocabulary, or none of the words that hold English sentences together are there.

    Over the 3,029 dev-corpus articles (title and text) at least 80% of the words are known, and at
    least 60% of any article's first 20; lorem ipsum has at most 40% (50% in 20 words). Names and
    spelled-out rarities are unknown words, which is why the bar sits at half, not higher. And at
    least 2.4% of their words are glue words; random words of a known vocabulary have none, and a
    flood of them (200 articles) also led a briefing. Figures: bench/tools/known_words.py."""
    if min_known <= 0:
        return None
    words = LETTER_WORDS.findall(plain_text(text))
    if len(words) < _MIN_WORDS_TO_READ:
        return None
    vocab = vocabulary()
    known = sum(w in vocab for w in words) / len(words)
    if known < min_known:
        return (
            f"text is not in a language the embedder reads (English): {known:.0%} of its {len(words):,} words are "
            f"in its vocabulary, under {min_known:.0%}. Lorem ipsum, gibberish and mis-decoded text read so; news in "
            "another language needs an embedder that reads it, and QA_MIN_KNOWN_WORDS=0"
        )
    glue = sum(w in GLUE_WORDS for w in words)
    if glue < MIN_GLUE_SHARE * len(words):
        return (
            f"text does not read as sentences: {glue} of its {len(words):,} words are any of "
            f"{', '.join(sorted(GLUE_WORDS))}, under {MIN_GLUE_SHARE:.0%}, as in random words "
            "(QA_MIN_KNOWN_WORDS=0 takes it)"
        )
    return None


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    return _trigrams(_WORD.findall(text.lower()))


def _trigrams(words: list[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(zip(words, words[1:], words[2:], strict=False)) or frozenset([tuple(words)])


@dataclass(frozen=True)
class _Text:
    """What the copy check compares of a chunk's text: its word trigrams, its words, its names
    (capitalised words that do not start a sentence) and its numbers."""

    trigrams: frozenset[tuple[str, ...]]
    words: Counter[str]
    length: int
    names: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Text:
        words = _WORD.findall(text.lower())
        numbers = frozenset(w for w in words if any(c.isdigit() for c in w))
        return cls(_trigrams(words), Counter(words), len(words), _names(text), numbers)

    def copies(self, other: _Text) -> bool:
        a, b = self.trigrams, other.trigrams
        shared, union = len(a & b), len(a | b)
        if shared >= NEAR_DUPLICATE * union:
            return True  # verbatim, whatever was added to it
        if min(self.length, other.length) < SHORT_WORDS or shared < COPY_TRIGRAMS * union:
            return False  # a short text copies only verbatim: one word of six is a sixth of it
        # One template's items differ in just these: other people, places, numbers.
        if len(self.names & other.names) < COPY_FACTS * min(len(self.names), len(other.names)):
            return False
        if len(self.numbers & other.numbers) < COPY_FACTS * min(len(self.numbers), len(other.numbers)):
            return False
        words = sum((self.words & other.words).values())
        return words >= COPY_WORDS * max(self.length, other.length, 1)


_SENTENCE_GAP = frozenset('.!?:"“”—')


def _names(text: str) -> frozenset[str]:
    """Capitalised words, less those that only open a sentence ("The", "This"): a spinner swaps
    those as it swaps any ordinary word."""
    names, last = set(), 0
    for m in _WORD.finditer(text):
        word, opens = m.group(), last == 0 or not _SENTENCE_GAP.isdisjoint(text[last : m.start()])
        if word[0].isupper() and not opens:
            names.add(word)
        last = m.end()
    return frozenset(names)


def distinct_chunks(chunks: list[Chunk], limit: int | None = None) -> list[Chunk]:
    """The chunks, less those that nearly repeat an earlier one of the same article; with
    ``limit``, it stops once it has kept one more than that (the article is refused anyway).

    Each chunk is compared only with the kept chunks it shares a trigram with, found through an
    index of their trigrams: comparing every pair made a refused million-character article cost
    seconds of CPU (minutes for a batch of them). Stopping at the limit nearly halves what a
    refused one costs: 10 articles of a million random characters, 7.0 s → 3.9 s to the 422 of
    their POST /articles; what is left is chunking, in proportion to the body's size."""
    kept: list[Chunk] = []
    sizes: list[int] = []
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for c in chunks:
        s = _shingles(c.text)
        shared = Counter(j for t in s for j in postings.get(t, ()))
        if any(n / (len(s) + sizes[j] - n) >= NEAR_DUPLICATE for j, n in shared.items()):
            continue
        for t in s:
            postings[t].append(len(kept))
        kept.append(c)
        sizes.append(len(s))
        if limit is not None and len(kept) > limit:
            break
    return kept


def too_many_chunks(chunks: list[Chunk], max_chunks: int) -> str | None:
    """Why an article of these distinct chunks (counted up to one over ``max_chunks``: see
    :func:`distinct_chunks`) is refused, or None."""
    if len(chunks) > max_chunks:
        return f"more distinct chunks than the limit of {max_chunks:,} (QA_MAX_CHUNKS_PER_ARTICLE)"
    return None


def copies(a: str, b: str) -> bool:
    """Whether one chunk's text copies another's, as the flood check decides it."""
    return _Text.of(a).copies(_Text.of(b))


def near_copies(
    owners: list[str],
    texts: list[str],
    vectors: np.ndarray,
    stored: list[list[tuple[str, str, float]]],
    stored_texts: dict[str, str],
    limit: int,
) -> set[str]:
    """The articles of a batch that copy at least ``limit`` other articles in every chunk.

    Chunk ``i`` belongs to ``owners[i]``, has text ``texts[i]`` and vector ``vectors[i]`` (unit
    length); ``stored[i]`` are its nearest stored chunks as (chunk id, article id, similarity),
    whose texts ``stored_texts`` holds where the similarity reaches ``NEAR_COPY``. Copies earlier
    in the batch count like stored ones, so the first ``limit`` copies of a text are kept and the
    rest refused, whether they come in one request or many.

    Work per chunk is bounded, whatever a batch holds: exact copies anywhere earlier in the batch
    are found by their trigram sets, near ones among the ``BATCH_WINDOW`` chunks before its
    article, and at most ``limit + 10`` candidates a chunk have their texts compared."""
    if limit <= 0 or not owners:
        return set()
    vecs = np.asarray(vectors, dtype=np.float32)
    most = limit + 10
    shingles = [_Text.of(t) for t in texts]
    stored_shingles: dict[str, _Text] = {}
    exact: dict[frozenset[tuple[str, ...]], set[str]] = defaultdict(set)  # a trigram set: its articles
    first_of: dict[str, int] = {}
    for i, a in enumerate(owners):
        first_of.setdefault(a, i)
    fewest: dict[str, int] = {}  # an article's fewest copied articles over its chunks (counted to limit)
    for i, a in enumerate(owners):
        mine = shingles[i]
        others = exact[mine.trigrams] - {a}
        for cid, b, sim in stored[i][:most]:
            if len(others) >= limit:
                break
            if sim >= NEAR_COPY and b != a and b not in others and cid in stored_texts:
                theirs = stored_shingles.setdefault(cid, _Text.of(stored_texts[cid]))
                if mine.copies(theirs):
                    others.add(b)
        lo = max(0, first_of[a] - BATCH_WINDOW)
        sims = vecs[lo : first_of[a]] @ vecs[i]
        near = np.flatnonzero(sims >= NEAR_COPY)
        for j in (near[np.argsort(-sims[near])][:most] + lo).tolist():  # chunks of articles before this one
            if len(others) >= limit:
                break
            if owners[j] not in others and mine.copies(shingles[j]):
                others.add(owners[j])
        exact[mine.trigrams].add(a)
        fewest[a] = min(fewest.get(a, len(others)), len(others))
    return {a for a, n in fewest.items() if n >= limit}
