"""One host's ingest jobs, in a SQLite file of the data dir (:class:`JobQueue`).

A job's articles are written to the file before ``submit`` returns, so an acknowledged job
survives a crash or a restart. A worker thread in each serving process claims a job with a lease
(so two workers never run the same job; a crashed worker's lease runs out and another takes over),
ingests it a few articles at a time and records each article's outcome in the same transaction
that moves the job's progress. Ingest is idempotent, so a step redone after a crash writes nothing
twice: its articles come back ``unchanged``.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from qa.errors import StoreUnavailable
from qa.ingest.jobs import (
    CANCELLED,
    HEARTBEAT_S,
    LEASE_S,
    MAX_ATTEMPTS,
    PAGE_ARTICLES,
    PRUNE_EVERY_S,
    RETENTION_S,
    RETRY_WAIT_MAX_S,
    RETRY_WAIT_S,
    STEP_ARTICLES,
    WORKER_FORGOTTEN_S,
    WORKER_SILENT_S,
    Job,
    JobArticle,
    WorkerInfo,
    batch_index,
    first_store_failure,
    settled,
    worker_name,
)
from qa.ingest.jobs_sqlite_schema import SCHEMA
from qa.ingest.pipeline import Ingestor
from qa.models import Article, ArticleOutcome

log = logging.getLogger(__name__)


def _use_wal(db: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Switch the file to WAL. Processes opening a fresh file at once race for the switch, and
    SQLite answers "database is locked" at once rather than waiting its busy timeout: retry."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class JobQueue:
    """Jobs in a SQLite file in the data dir: the processes of one host share it."""

    def __init__(
        self,
        path: Path,
        ingestor: Ingestor,
        *,
        step_articles: int = STEP_ARTICLES,
        lease_s: float = LEASE_S,
        retry_wait_s: float = RETRY_WAIT_S,
        max_attempts: int = MAX_ATTEMPTS,
        retention_s: float = RETENTION_S,
    ) -> None:
        self.path = path
        self.retention_s = retention_s
        self._pruned_at = 0.0
        self.ingestor = ingestor
        self.step_articles = step_articles
        self.lease_s = lease_s
        self.retry_wait_s = retry_wait_s
        self.max_attempts = max_attempts
        self.owner = worker_name()  # this process's worker, for leases and the workers list
        self._started_at = time.time()
        self._steps = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat: threading.Thread | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            _use_wal(db)
            db.executescript(SCHEMA)
            if "client" not in {r[1] for r in db.execute("PRAGMA table_info(jobs)")}:  # a file from before
                try:
                    db.execute("ALTER TABLE jobs ADD COLUMN client TEXT")
                except sqlite3.OperationalError as exc:  # another process of this host added it just now
                    if "duplicate column" not in str(exc):
                        raise

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # A connection per use: threads and processes share the file, not a connection.
        with closing(sqlite3.connect(self.path, timeout=30.0, isolation_level=None)) as db:
            db.execute("PRAGMA busy_timeout=30000")
            yield db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- the client side ------------------------------------------------------------------------

    def submit(
        self,
        articles: Sequence[tuple[int, Article]],
        rejected: Sequence[ArticleOutcome] = (),
        client: str | None = None,
    ) -> str:
        """Persist a job and return its id; from here on nothing of it is lost."""
        job_id = uuid.uuid4().hex[:16]
        rows: list[tuple[str, int, str | None, str | None, str, str | None]]
        rows = [(job_id, i, a.id, a.model_dump_json(), "pending", None) for i, a in articles]
        rows += [(job_id, batch_index(r), r.id, None, "failed", r.detail) for r in rejected]
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs (id, state, created_at, total, client) VALUES (?, 'queued', ?, ?, ?)",
                (job_id, time.time(), len(rows), client or ""),
            )
            db.executemany("INSERT INTO job_articles VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._wake.set()
        return job_id

    def get(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job | None:
        """The job, with a page of its articles' outcomes if ``articles`` (a progress poll needs only counts)."""
        with self._db() as db:
            db.execute("BEGIN")  # one snapshot for the job and its articles
            row = db.execute(
                "SELECT id, state, created_at, started_at, finished_at, total, chunks, busy_s, error, "
                "CASE WHEN lease_until > ? THEN owner END FROM jobs WHERE id = ?",
                (time.time(), job_id),
            ).fetchone()
            if row is None:
                return None
            counts = dict(
                db.execute(
                    "SELECT status, count(*) FROM job_articles WHERE job_id = ? GROUP BY status", (job_id,)
                ).fetchall()
            )
            rows = (
                db.execute(
                    "SELECT idx, article_id, status, reason FROM job_articles WHERE job_id = ? AND idx >= ? "
                    "ORDER BY idx LIMIT ?",
                    (job_id, offset, limit),
                ).fetchall()
                if articles
                else []
            )
            db.execute("COMMIT")
        (jid, state, created, started, finished, total, chunks, busy_s, error, owner) = row
        return Job(
            jid,
            state,
            created,
            started,
            finished,
            total,
            chunks,
            busy_s,
            error,
            counts,
            [JobArticle(*r) for r in rows],
            [owner] if owner else [],
        )

    def cancel(self, job_id: str) -> Job | None:
        with self._tx() as db:
            stopped = db.execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = ?, owner = NULL, lease_until = NULL "
                "WHERE id = ? AND state IN ('queued', 'running')",
                (time.time(), job_id),
            ).rowcount
            if stopped:
                db.execute(
                    "UPDATE job_articles SET status = 'failed', reason = ?, body = NULL "
                    "WHERE job_id = ? AND status = 'pending'",
                    (CANCELLED, job_id),
                )
                log.info("ingest job %s cancelled", job_id)
        return self.get(job_id, articles=False)

    def prune(self, now: float | None = None) -> int:
        """Delete jobs finished more than ``retention_s`` ago; how many."""
        cutoff = (now or time.time()) - self.retention_s
        with self._tx() as db:
            old = [r[0] for r in db.execute("SELECT id FROM jobs WHERE finished_at < ?", (cutoff,)).fetchall()]
            for job_id in old:
                db.execute("DELETE FROM job_articles WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        if old:
            log.info("pruned %d ingest jobs finished over %.0f days ago", len(old), self.retention_s / 86400)
        return len(old)

    def check_ready(self) -> None:
        try:
            with self._db() as db:
                db.execute("SELECT 1 FROM jobs LIMIT 1")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the ingest job file {self.path} cannot be read: {exc}") from exc

    def workers(self) -> list[WorkerInfo]:
        now = time.time()
        with self._db() as db:
            rows = db.execute(
                "SELECT name, host, pid, started_at, last_seen, steps FROM workers WHERE last_seen > ? "
                "ORDER BY started_at DESC",
                (now - WORKER_FORGOTTEN_S,),
            ).fetchall()
        return [WorkerInfo(n, h, pid, t0, seen, k, now - seen < WORKER_SILENT_S) for n, h, pid, t0, seen, k in rows]

    def _heartbeat(self) -> None:
        """Say this worker is alive, and keep the leases of the jobs it runs."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO workers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "last_seen = excluded.last_seen, steps = excluded.steps",
                (self.owner, socket.gethostname(), os.getpid(), self._started_at, now, self._steps),
            )
            db.execute(
                "UPDATE jobs SET lease_until = ? WHERE owner = ? AND state = 'running' AND lease_until > ?",
                (now + self.lease_s, self.owner, now),
            )

    # -- the worker side ------------------------------------------------------------------------

    def _claim(self, current: str | None = None) -> str | None:
        """The next job to step: the least recently served client's first, oldest first within a
        client, so one client's huge job does not hold up another's small one. Switching away from
        ``current`` (still leased to this worker) releases it for any worker."""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE state IN ('queued', 'running') "
                "AND (lease_until IS NULL OR lease_until < ? OR owner = ?) "
                "ORDER BY COALESCE((SELECT served_at FROM clients c WHERE c.client = COALESCE(jobs.client, '')), 0), "
                "created_at LIMIT 1",
                (now, self.owner),
            ).fetchone()
            if current is not None and (row is None or row[0] != current):
                db.execute(
                    "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?", (current, self.owner)
                )
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, started_at = COALESCE(started_at, ?) "
                "WHERE id = ?",
                (self.owner, now + self.lease_s, now, row[0]),
            )
            db.execute(
                "INSERT INTO clients SELECT COALESCE(client, ''), ? FROM jobs WHERE id = ? "
                "ON CONFLICT(client) DO UPDATE SET served_at = excluded.served_at",
                (now, row[0]),
            )
            return str(row[0])

    def run_pending(self, max_steps: int | None = None) -> int:
        """Run claimable jobs until none is left (or ``max_steps`` steps); the number of steps run."""
        steps = 0
        job_id: str | None = None
        while not self._stop.is_set() and (max_steps is None or steps < max_steps):
            job_id = self._claim(current=job_id)  # after every step: another client's job may come first
            if job_id is None:
                break
            steps += 1
            self._steps += 1
            if not self._step(job_id):
                job_id = None
        return steps

    def _step(self, job_id: str) -> bool:
        """Ingest the job's next few articles; False when the job is finished, must wait, or was
        taken over by another worker (every write here is conditional on still owning it)."""
        with self._tx() as db:
            renewed = db.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ?",
                (time.time() + self.lease_s, job_id, self.owner),
            ).rowcount
            rows = db.execute(
                "SELECT idx, body FROM job_articles WHERE job_id = ? AND status = 'pending' ORDER BY idx LIMIT ?",
                (job_id, self.step_articles),
            ).fetchall()
            if renewed and not rows:
                db.execute(
                    "UPDATE jobs SET state = 'done', finished_at = ?, owner = NULL, lease_until = NULL WHERE id = ?",
                    (time.time(), job_id),
                )
                log.info("ingest job %s done", job_id)
        if not renewed or not rows:
            return False
        # An id twice in one step: only its last copy is written (as it would be, written in
        # order); the earlier copies are reported as such.
        last = {Article.model_validate_json(body).id: idx for idx, body in rows}
        articles = [(idx, Article.model_validate_json(body)) for idx, body in rows]
        todo = [(idx, a) for idx, a in articles if last[a.id] == idx]
        outcome: dict[int, tuple[str, str | None]] = {
            idx: ("unchanged", f"repeated later in this job (articles[{last[a.id]}])")
            for idx, a in articles
            if last[a.id] != idx
        }
        t0 = time.perf_counter()
        try:
            report = self.ingestor.ingest([a for _, a in todo])
        except Exception as exc:  # the store is down or broken: nothing of this step was acknowledged
            log.warning("ingest job %s: a step failed (%s); it will be retried", job_id, exc)
            self._failed_step(job_id, str(exc).splitlines()[0][:300])
            return False
        by_id = report.outcomes()
        retry = [idx for idx, a in todo if a.id in by_id and by_id[a.id].retryable]
        for idx, a in todo:
            if idx not in retry:
                outcome[idx] = settled(by_id.get(a.id))
        with self._tx() as db:
            row = db.execute("SELECT owner, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None and row[1] == "cancelled":  # what this step stored is reported as stored
                db.executemany(
                    "UPDATE job_articles SET status = ?, reason = ? WHERE job_id = ? AND idx = ? AND reason = ?",
                    [(status, reason, job_id, idx, CANCELLED) for idx, (status, reason) in outcome.items()],
                )
                db.execute("UPDATE jobs SET chunks = chunks + ? WHERE id = ?", (report.chunks, job_id))
                return False
            if row is None or row[0] != self.owner:
                return False  # taken over meanwhile: what was written is idempotent, the new owner reports it
            db.executemany(
                "UPDATE job_articles SET status = ?, reason = ?, body = NULL WHERE job_id = ? AND idx = ?",
                [(status, reason, job_id, idx) for idx, (status, reason) in outcome.items()],
            )
            # A step that must be retried keeps its failure count, or one article that always fails
            # to write would keep its job running for ever.
            db.execute(
                "UPDATE jobs SET chunks = chunks + ?, busy_s = busy_s + ?, "
                "attempts = CASE WHEN ? THEN attempts ELSE 0 END WHERE id = ?",
                (report.chunks, time.perf_counter() - t0, bool(retry), job_id),
            )
        if retry:  # a store write failed: those articles stay pending and the step is retried
            self._failed_step(job_id, first_store_failure(report))
            return False
        return True

    def _failed_step(self, job_id: str, reason: str) -> None:
        with self._tx() as db:
            got = db.execute(
                "UPDATE jobs SET attempts = attempts + 1 WHERE id = ? AND owner = ? RETURNING attempts",
                (job_id, self.owner),
            ).fetchone()
            if got is None:
                return
            attempts = got[0]
            if attempts >= self.max_attempts:
                # The client is told exactly which articles were not stored, so it can send them again.
                db.execute(
                    "UPDATE job_articles SET status = 'failed', reason = ? WHERE job_id = ? AND status = 'pending'",
                    (f"not stored: {reason}", job_id),
                )
                db.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, owner = NULL, lease_until = NULL "
                    "WHERE id = ?",
                    (f"gave up after {attempts} failed attempts: {reason}", time.time(), job_id),
                )
            else:  # nobody's, and claimable after a backoff: then this or another worker tries again
                wait = min(RETRY_WAIT_MAX_S, self.retry_wait_s * 2 ** (attempts - 1))
                db.execute(
                    "UPDATE jobs SET error = ?, owner = NULL, lease_until = ? WHERE id = ?",
                    (reason, time.time() + wait, job_id),
                )

    def start(self, poll_s: float = 1.0) -> None:
        """Run jobs on a daemon thread: woken by a submit here, or polling for other processes' jobs."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.run_pending()
                except Exception:  # a worker must outlive one bad job; the lease hands it on
                    log.exception("ingest job worker")
                self._wake.wait(poll_s)
                self._wake.clear()

        def beat() -> None:  # its own thread: a long step must not let the lease run out
            while True:
                try:
                    self._heartbeat()
                    if time.time() - self._pruned_at > PRUNE_EVERY_S:
                        self._pruned_at = time.time()
                        self.prune()
                except sqlite3.Error as exc:
                    log.warning("ingest job worker heartbeat: %s", exc)
                if self._stop.wait(HEARTBEAT_S):
                    return

        self._thread = threading.Thread(target=loop, name="ingest-jobs", daemon=True)
        self._beat = threading.Thread(target=beat, name="ingest-jobs-heartbeat", daemon=True)
        self._thread.start()
        self._beat.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the step in progress; an unfinished job is resumed by the next worker."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            finished = not self._thread.is_alive()
            self._thread = None
            if self._beat is not None:
                self._beat.join(timeout_s)
            with self._tx() as db:  # gone, not silent: no longer listed, and its jobs free at once
                db.execute("DELETE FROM workers WHERE name = ?", (self.owner,))
                if finished:  # else a step still runs: its lease runs out instead
                    db.execute(
                        "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE owner = ? AND state = 'running'",
                        (self.owner,),
                    )
