"""What ingest accepts of one article, in one place: the readers, a request's batch check and the
ingestor all ask this object, built once from :class:`~qa.config.Settings`, so a limit is set,
checked and worded the same way whichever door an article comes in by."""

from __future__ import annotations

from dataclasses import dataclass

from qa.config import Settings


@dataclass(frozen=True)
class Limits:
    article_chars: int = 1_000_000  # QA_MAX_ARTICLE_CHARS
    chunks_per_article: int = 500  # QA_MAX_CHUNKS_PER_ARTICLE: distinct chunks, counted after chunking
    near_copies: int = 20  # QA_MAX_NEAR_COPIES (0: never refuse copies)
    min_known_words: float = 0.5  # QA_MIN_KNOWN_WORDS (0: take text the embedder cannot read)

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            article_chars=settings.max_article_chars,
            chunks_per_article=settings.max_chunks_per_article,
            near_copies=settings.max_near_copies,
            min_known_words=settings.known_words_bar(),
        )

    def text_problem(self, text: str) -> str | None:
        """Why a text is too long to take, or None. Checked first, before anything reads the text
        further: a refused body must not cost the work of chunking it."""
        if len(text) > self.article_chars:
            return f"text has {len(text):,} characters, over the limit of {self.article_chars:,} (QA_MAX_ARTICLE_CHARS)"
        return None


DEFAULT_LIMITS = Limits()
