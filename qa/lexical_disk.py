"""BM25 over the stored chunks in a tantivy index on disk, kept in step with the store.

Unlike :class:`qa.lexical.LexicalIndex` (bm25s in memory, rebuilt from the whole store after any
write), this index is a folder in the data dir that every process on the host shares:

- **Incremental.** When the store's revision changes, :meth:`DiskIndex.sync` asks the store for
  the articles written or deleted since the last sync (``changes_since``) and re-indexes only
  those: a write costs in proportion to what was written, not to the corpus.
- **Committed versions only.** Articles are indexed from ``store.articles_chunks`` (a batch at a
  time), which returns the chunks of each one's committed version, so a half-written article is
  never searchable.
- **Persistent and shared.** A restart or a second worker reuses the index; syncs are serialised
  by a SQLite transaction (``BEGIN IMMEDIATE`` on ``state.sqlite``, which also records the
  indexed versions), and readers reload the index when the revision they see has moved.
- **Filters in the index.** Outlet and day are indexed fields, so ``source``/``since``/``until``
  are part of the query, not a loop over every chunk.

Tokens are the project's own (:func:`qa.tokens.tokenize`: NFKC, stemming, stopwords), stored
space-separated and split on whitespace by tantivy, which scores with BM25 (k1 = 1.2, b = 0.75).
Measured against the alternatives in ``bench/README.md`` (SQLite FTS5 ranked as well but took
34 ms a query; bm25s in memory rebuilds for 17 s after each write on the full corpus).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import tantivy

from qa.models import Chunk, SearchFilters, embedding_text
from qa.store.protocol import ChunkRecord, DocumentStore
from qa.tokens import tokenize

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"  # bump when tokens or fields change: the index is rebuilt once
_WRITER_HEAP = 64 * 1024 * 1024
_READ_BATCH = 200  # articles read from the store per call while catching up
CLOCK_SKEW_US = 120_000_000  # changes are re-read from two minutes before the last one seen


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in ("chunk_id", "article_id", "version", "source"):
        sb.add_text_field(name, stored=True, tokenizer_name="raw")
    sb.add_text_field("tokens", stored=False, tokenizer_name="ws", index_option="freq")
    sb.add_text_field("title", stored=True, index_option="basic")
    sb.add_text_field("text", stored=True, index_option="basic")
    for name in ("position", "start", "end"):
        sb.add_integer_field(name, stored=True)
    sb.add_integer_field("day", stored=True, indexed=True, fast=True)
    return sb.build()


class DiskIndex:
    """The lexical side of hybrid retrieval, as :class:`qa.lexical.LexicalIndex` offers it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state_path = path / "state.sqlite"
        self._lock = threading.Lock()
        self._revision: str | None = None  # the store revision this process last saw synced
        path.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self._state_path, timeout=60, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, version TEXT NOT NULL)")
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:  # new, or made by another version: start over
                shutil.rmtree(path / "tantivy", ignore_errors=True)
                db.execute("DELETE FROM articles")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            (path / "tantivy").mkdir(exist_ok=True)
            self.schema = _schema()
            self.index = tantivy.Index(self.schema, path=str(path / "tantivy"))
            db.execute("COMMIT")
        self.index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())

    # -- keeping in step ------------------------------------------------------------------------

    def sync(self, store: DocumentStore) -> None:
        rev = store.revision()
        if rev == self._revision:
            return
        with self._lock, closing(sqlite3.connect(self._state_path, timeout=60, isolation_level=None)) as db:
            if rev == self._revision:
                return
            row = db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
            if row is None or row[0] != rev:
                db.execute("BEGIN IMMEDIATE")  # one process writes; the others wait, then see its work
                try:
                    row = db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
                    if row is None or row[0] != rev:
                        self._apply(db, store)
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (rev,))
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
            self.index.reload()
            self._revision = rev

    def _apply(self, db: sqlite3.Connection, store: DocumentStore) -> None:
        """Catch up with the store: only the articles written or deleted since the last sync
        (``store.changes_since``), or every article once, for a new index. If this dies before
        the state commits, the next sync redoes it: deletes and adds are by article."""
        row = db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        if row is None:
            started = time.time_ns() // 1000
            versions: dict[str, str | None] = dict(store.article_versions())
            indexed = dict(db.execute("SELECT article_id, version FROM articles").fetchall())
            versions.update({a: None for a in indexed if a not in versions})
            latest = started
        else:
            # Writers on other hosts may run a little behind this clock: look back a margin.
            changes, latest = store.changes_since(int(row[0]) - CLOCK_SKEW_US)
            versions = dict(changes)
        todo = [(a, v) for a, v in versions.items() if self._indexed(db, a) != v]
        if todo:
            writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            try:
                for lo in range(0, len(todo), _READ_BATCH):
                    batch = todo[lo : lo + _READ_BATCH]
                    chunks = store.articles_chunks([a for a, v in batch if v is not None])
                    for article_id, version in batch:
                        writer.delete_documents_by_term("article_id", article_id)
                        db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
                        records = chunks.get(article_id) if version is not None else None
                        if not records or records[0].version != version:
                            continue  # deleted, or rewritten since: the next revision brings it
                        for rec in records:
                            writer.add_document(self._document(rec))
                        db.execute("INSERT INTO articles VALUES (?, ?)", (article_id, version))
                writer.commit()
                writer.wait_merging_threads()
            finally:
                del writer  # releases the index's writer lock
            log.info("lexical index: %d article(s) re-indexed or removed", len(todo))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('seq', ?)", (str(latest),))

    @staticmethod
    def _indexed(db: sqlite3.Connection, article_id: str) -> str | None:
        row = db.execute("SELECT version FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _document(rec: ChunkRecord) -> tantivy.Document:
        c = rec.chunk
        return tantivy.Document(
            chunk_id=c.id,
            article_id=c.article_id,
            version=rec.version,
            source=rec.source or "",
            tokens=" ".join(tokenize(embedding_text(rec.title, c.text))),
            title=rec.title,
            text=c.text,
            position=c.position,
            start=c.start,
            end=c.end,
            day=rec.published_day or 0,
        )

    # -- searching ------------------------------------------------------------------------------

    def search(self, query: str, n: int, filters: SearchFilters | None = None) -> list[tuple[ChunkRecord, float]]:
        terms = list(dict.fromkeys(tokenize(query)))
        if not terms or n <= 0:
            return []
        Q, Occur = tantivy.Query, tantivy.Occur
        words = Q.boolean_query([(Occur.Should, Q.term_query(self.schema, "tokens", t)) for t in terms])
        clauses = [(Occur.Must, words)]
        if filters is not None and filters.source:
            clauses.append((Occur.Must, Q.term_set_query(self.schema, "source", list(filters.source))))
        if filters is not None and (filters.since or filters.until):
            since, upper = filters.day_range()
            lower = since or 1  # 0 is "undated": never in a date range
            clauses.append((Occur.Must, Q.range_query(self.schema, "day", tantivy.FieldType.Integer, lower, upper)))
        searcher = self.index.searcher()
        out = []
        for score, address in searcher.search(Q.boolean_query(clauses), n).hits:
            d = searcher.doc(address)
            day = int(d["day"][0])
            rec = ChunkRecord(
                chunk=Chunk(
                    id=d["chunk_id"][0],
                    article_id=d["article_id"][0],
                    position=int(d["position"][0]),
                    start=int(d["start"][0]),
                    end=int(d["end"][0]),
                    text=d["text"][0],
                ),
                version=d["version"][0],
                title=d["title"][0],
                source=d["source"][0] or None,
                published_day=day or None,
            )
            out.append((rec, float(score)))
        return out

    def __len__(self) -> int:
        return int(self.index.searcher().num_docs)
