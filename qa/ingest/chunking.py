"""Sentence-aware chunking where every chunk knows its exact span in the article text.

Citations quote ``article.text[chunk.start:chunk.end]``, so a chunk is always a verbatim
substring, never re-joined or normalised text.
"""

from __future__ import annotations

from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.models import Article, Chunk, short_hash

# Paragraphs, then lines, then sentence ends, then clause punctuation, then words.
_SEPARATORS = [
    "\n\n",
    "\n",
    r"(?<=[.!?…][\"'”’)\]])\s+",
    r"(?<=[.!?…])\s+",
    r"(?<=[;:,])\s+",
    " ",
    "",
]


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=min(overlap, size // 2),
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_id(article_id: str, version: str, position: int, text: str) -> str:
    # The article version is part of the hash so two versions of an article never share chunk ids:
    # a half-written update can then be told apart from the committed one.
    return f"{article_id}:{position}:{short_hash(version, text, n=12)}"


def chunk_article(article: Article, size: int = 1000, overlap: int = 150) -> list[Chunk]:
    text = article.text
    pieces = _splitter(size, overlap).split_text(text)
    chunks: list[Chunk] = []
    overlap = min(overlap, size // 2)
    version = article.version
    # Not the splitter's add_start_index: it finds each piece the same way, but answers -1 when a
    # piece is not found after its guess and carries on. A citation needs the exact span, so the
    # search here falls back to the whole text past the previous piece and refuses to go on without one.
    for piece in pieces:
        # Pieces come in text order and overlap the previous one by at most `overlap` chars, so
        # the next occurrence after that point is the right one even when the text repeats.
        if chunks:
            prev = chunks[-1]
            start = text.find(piece, max(prev.start + 1, prev.end - overlap - 1))
            if start < 0:
                start = text.find(piece, prev.start + 1)
        else:
            start = text.find(piece)
        if start < 0:  # cannot happen with strip-only splitting; guard the invariant anyway
            raise AssertionError(f"chunk of {article.id} is not a span of its text")
        end = start + len(piece)
        position = len(chunks)
        chunks.append(
            Chunk(
                id=chunk_id(article.id, version, position, piece),
                article_id=article.id,
                position=position,
                start=start,
                end=end,
                text=piece,
            )
        )
    return chunks
