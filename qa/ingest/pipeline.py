"""Articles in, chunks and embeddings out, into the store — idempotently and atomically per article."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from qa import logs
from qa.embeddings import Embedder
from qa.errors import ArticleError, QAError
from qa.ingest.chunking import chunk_article
from qa.ingest.limits import DEFAULT_LIMITS, Limits
from qa.ingest.quality import (
    NEAR_COPY,
    distinct_chunks,
    low_information,
    near_copies,
    too_many_chunks,
    unreadable,
)
from qa.models import Article, Chunk, IngestReport, embedding_text, failure
from qa.store.protocol import DocumentStore

log = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with the number of items just finished
EmbedProgress = Callable[[float], None]  # called with how many articles' worth was just embedded
MAX_BATCH_ARTICLES = 500  # articles written in one store call at most, whatever their chunks
# Texts embedded in one call while a progress display listens. A store write commits 256 chunks
# at once, but their embedding takes seconds on a CPU: in slices, the display moves while it runs.
# Measured on 120 corpus articles (2 cores): one call 32.7 chunks/s; slices of 32 sorted by length
# 28.9, of 64 30.6, of 128 32.2; unsorted slices of 32 21.6. Without a display: one call.
EMBED_SLICE = 64


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    is_update: bool


class Ingestor:
    """Writes are serialised per process: the embedded store is one process's to write."""

    _write_lock = threading.Lock()

    def __init__(
        self,
        store: DocumentStore,
        embedder: Embedder,
        *,
        chunk_size: int = 1000,
        chunk_overlap: int = 150,
        limits: Limits = DEFAULT_LIMITS,
        embed_batch_chunks: int = 256,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.limits = limits
        self.embed_batch_chunks = embed_batch_chunks

    def ingest(
        self,
        items: Iterable[Article | ArticleError],
        progress: Progress | None = None,
        *,
        embedded: EmbedProgress | None = None,
        whole: bool = False,
        chunked: dict[str, list[Chunk]] | None = None,
    ) -> IngestReport:
        """Store the articles; ``progress(n)`` as items are finished (stored, unchanged or refused),
        ``embedded(n)`` as articles' chunks are embedded, before the write that stores them.

        With ``whole`` (a request's batch), everything is embedded before anything is written, so
        that an article refused as a copy (which takes its vectors to tell) refuses the batch:
        then nothing is stored and only the copies are in ``failed``.

        ``chunked`` holds articles' chunks already made by :meth:`checked` (a request's batch
        check), by article version (two copies of one id with other texts are two versions), so
        that no article is chunked twice."""
        report = IngestReport()
        with self._write_lock:
            # Stored versions are read per article as they come: a write costs what it writes.
            versions: dict[str, str | None] = {}
            pending: list[_Pending] = []
            n_pending_chunks = 0
            for item in items:
                if isinstance(item, ArticleError):
                    report.failed.append(failure(None, str(item)))
                    if progress:
                        progress(1)
                    continue
                article = item
                if too_long := self.limits.text_problem(article.text):
                    report.failed.append(failure(article.id, too_long))
                    if progress:
                        progress(1)
                    continue
                if article.id not in versions:
                    stored = self.store.article_metas([article.id]).get(article.id)
                    versions[article.id] = stored[1] if stored else None
                old = versions[article.id]
                if old == article.version:
                    report.unchanged.append(article.id)
                    if progress:
                        progress(1)
                    continue
                known = chunked.get(article.version) if chunked else None
                chunks, problem = (known, None) if known is not None else self.checked(article)
                if problem:
                    report.failed.append(failure(article.id, problem))
                    if progress:
                        progress(1)
                    continue
                # Later duplicates in the same batch compare against this one.
                versions[article.id] = article.version
                pending.append(_Pending(article, chunks, is_update=old is not None))
                n_pending_chunks += len(chunks)
                # Bounded in articles too: one store call commits them all (see upsert_articles).
                full = n_pending_chunks >= self.embed_batch_chunks or len(pending) >= MAX_BATCH_ARTICLES
                if full and not whole:
                    self._flush(pending, report, progress, embedded)
                    pending, n_pending_chunks = [], 0
            self._flush(pending, report, progress, embedded, whole=whole)
        logs.record_stages(report.timings_ms, prefix="ingest_")
        return report

    def chunks_of(self, article: Article) -> list[Chunk]:
        """Its distinct chunks; past the limit, one more than it (the article is refused)."""
        chunks = chunk_article(article, self.chunk_size, self.chunk_overlap)
        return distinct_chunks(chunks, limit=self.limits.chunks_per_article)

    def checked(self, article: Article) -> tuple[list[Chunk], str | None]:
        """Its distinct chunks, or why ingest refuses it. Text with almost no distinct words, or in
        no language the embedder reads, is refused before it is chunked: that costs a small part of
        chunking it."""
        if reason := low_information(article.text) or unreadable(
            f"{article.title}\n{article.text}", self.limits.min_known_words
        ):
            return [], reason
        chunks = self.chunks_of(article)
        return chunks, too_many_chunks(chunks, self.limits.chunks_per_article)

    def _flush(
        self,
        pending: list[_Pending],
        report: IngestReport,
        progress: Progress | None,
        embedded: EmbedProgress | None,
        whole: bool = False,
    ) -> None:
        if not pending:
            return
        texts = [embedding_text(p.article.title, c.text) for p in pending for c in p.chunks]
        t0 = time.perf_counter()
        vectors = self._embed(texts, [len(p.chunks) for p in pending], embedded)
        copies = self._copies(pending, vectors)
        t1 = time.perf_counter()
        refused = [
            failure(
                p.article.id,
                f"repeats the text of {self.limits.near_copies:,} or more other articles (stored, or earlier in "
                "this batch), refused as a flood of copies (QA_MAX_NEAR_COPIES)",
                "copies",
            )
            for p in pending
            if p.article.id in copies
        ]
        report.failed += refused
        if refused and whole:
            return  # nothing of the batch is written; the caller says which articles refused it
        items, offset = [], 0
        for p in pending:
            if p.article.id not in copies:
                items.append((p.article, p.chunks, vectors[offset : offset + len(p.chunks)]))
            offset += len(p.chunks)
        failed: dict[str, str] = {}
        for lo in range(0, len(items), MAX_BATCH_ARTICLES):
            failed.update(self._write(items[lo : lo + MAX_BATCH_ARTICLES]))
        for p in pending:
            if p.article.id in failed:
                report.failed.append(failure(p.article.id, f"could not be stored: {failed[p.article.id]}", "store"))
            elif p.article.id not in copies:
                (report.updated if p.is_update else report.added).append(p.article.id)
                report.chunks += len(p.chunks)
            if progress:
                progress(1)
        report.timings_ms["embed"] = report.timings_ms.get("embed", 0.0) + round((t1 - t0) * 1000, 2)
        report.timings_ms["store"] = report.timings_ms.get("store", 0.0) + round((time.perf_counter() - t1) * 1000, 2)

    def _write(self, items: list[tuple[Article, list[Chunk], np.ndarray]]) -> dict[str, str]:
        """Store the articles in a few store calls; the ones that failed, with why."""
        try:
            self.store.upsert_articles(items)
            return {}
        except QAError:
            raise
        except Exception:  # write them one by one, so one bad article does not fail the rest
            log.warning("a batch write failed; writing its %d articles one by one", len(items))
        failed = {}
        for article, chunks, vecs in items:
            try:
                self.store.upsert_article(article, chunks, vecs)
            except QAError:
                raise
            except Exception as exc:  # the article stays as it was; the batch goes on
                log.exception("writing article %s failed", article.id)
                failed[article.id] = str(exc)
        return failed

    def _copies(self, pending: list[_Pending], vectors: np.ndarray) -> set[str]:
        """The batch's articles that are one more copy of a text stored (or sent) many times over:
        one batched neighbour query, and the texts of the close ones to confirm."""
        if self.limits.near_copies <= 0:
            return set()
        owners = [p.article.id for p in pending for _ in p.chunks]
        texts = [c.text for p in pending for c in p.chunks]
        try:
            # An update meets its own stored chunks too: room for them beside the copies.
            stored = self.store.neighbours(vectors, self.limits.near_copies + 10)
            close = sorted({cid for row in stored for cid, _, sim in row if sim >= NEAR_COPY})
            stored_texts = {r.chunk.id: r.chunk.text for r in self.store.iter_chunks(close)} if close else {}
        except Exception as exc:  # a defence, not a step of the write: never what fails an ingest
            # A Chroma server can answer a query on a collection still being written with "Nothing
            # found on disk" (chroma-core/chroma #4212); the copies of this batch go unchecked.
            log.warning("the copy check of a batch was skipped: %s", exc)
            return set()
        return near_copies(owners, texts, vectors, stored, stored_texts, self.limits.near_copies)

    def _embed(self, texts: list[str], sizes: list[int], embedded: EmbedProgress | None) -> np.ndarray:
        """All vectors of a batch. With ``embedded``, in slices of texts of like length (an embedder
        pads a batch to its longest text: unsorted slices cost a third of the throughput), saying
        after each how much of the batch's articles is embedded, in articles."""
        if embedded is None:
            return self.embedder.embed(texts)
        owner = np.repeat(np.arange(len(sizes)), sizes)  # the article of each text
        share = 1.0 / np.asarray(sizes, dtype=np.float64)  # of its article, each of its texts
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: np.ndarray | None = None
        for lo in range(0, len(order), EMBED_SLICE):
            at = order[lo : lo + EMBED_SLICE]
            got = self.embedder.embed([texts[i] for i in at])
            if vectors is None:
                vectors = np.empty((len(texts), got.shape[1]), dtype=got.dtype)
            vectors[at] = got
            embedded(float(share[owner[at]].sum()))
        assert vectors is not None  # a flushed batch has texts
        return vectors

    def delete(self, article_id: str) -> bool:
        with self._write_lock:
            return self.store.delete_article(article_id)
