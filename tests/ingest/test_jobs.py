"""Background ingest jobs on a real embedded store: acknowledged means on disk, a crashed worker's
job is resumed by another, a broken store fails the job only after retries."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import ArticleError
from qa.ingest.jobs import CANCELLED, IngestQueue, Job
from qa.ingest.jobs_sqlite import JobQueue
from qa.ingest.pipeline import Ingestor
from qa.models import Article, IngestReport, failure
from qa.store.chroma import open_store


def articles(n: int, prefix: str = "job") -> list[tuple[int, Article]]:
    return [
        (
            i,
            Article(
                id=f"{prefix}-{i}",
                title=f"Harbour council story {i}",
                text=f"The harbour council voted {i}-2 on Monday to fund ferry number {i}. "
                "The mayor said the ferries would run from July.",
                source="Test Wire",
            ),
        )
        for i in range(n)
    ]


def finished(queue: IngestQueue, job_id: str, timeout_s: float = 60) -> Job:
    """The job once a worker has finished it (or the timeout); any queue backend."""
    deadline = time.monotonic() + timeout_s
    while (job := queue.get(job_id)) is not None and job.state not in ("done", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} not finished in {timeout_s} s: {job.counts}")
        time.sleep(0.05)
    assert job is not None
    return job


@pytest.fixture
def ingestor(embedded_settings: Settings, hashing_embedder: Embedder) -> Ingestor:
    return Ingestor(open_store(embedded_settings), hashing_embedder)


def test_a_job_is_ingested_in_steps_and_reports_each_article(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor, step_articles=2)
    job_id = queue.submit(articles(5), [failure(None, "Field required", index=5, field="text")])
    job = queue.get(job_id)
    assert job is not None and job.state == "queued" and job.total == 6 and job.done == 1

    assert queue.run_pending() == 4  # three steps of at most two articles, then the one that finds none
    job = queue.get(job_id)
    assert job is not None and job.state == "done" and job.done == job.total == 6
    assert job.counts == {"added": 5, "failed": 1}
    assert job.chunks == 5 and job.chunks_per_s is not None and job.chunks_per_s > 0
    assert job.articles[5].reason == "text: Field required"  # its index and id are beside it
    assert ingestor.store.count_articles() == 5

    again = queue.submit(articles(5))
    queue.run_pending()
    job = queue.get(again)
    assert job is not None and job.counts == {"unchanged": 5}


def test_a_job_survives_its_worker_and_is_resumed_by_another(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "jobs.sqlite"
    # The lease is renewed as a step starts; it must outlast the step (embedding two articles on a
    # loaded machine took longer than the 0.2 s this test once used, and the check below failed).
    crashed = JobQueue(path, ingestor, step_articles=2, lease_s=3.0)
    job_id = crashed.submit(articles(5))
    assert crashed.run_pending(max_steps=1) == 1  # then the worker "dies": no further step, lease held
    job = crashed.get(job_id)
    assert job is not None and job.state == "running" and job.counts == {"added": 2, "pending": 3}

    other = JobQueue(path, ingestor, step_articles=2)
    assert other.run_pending() == 0  # the lease still holds: nobody else takes the job
    time.sleep(3.1)
    assert other.run_pending() > 0
    job = other.get(job_id)
    assert job is not None and job.state == "done" and job.counts == {"added": 5}
    assert ingestor.store.count_articles() == 5


class BrokenStoreIngestor(Ingestor):
    def __init__(self) -> None:  # no store at all: every write fails
        self.calls = 0

    def ingest(self, items: Iterable[Article | ArticleError], progress: object = None) -> IngestReport:
        self.calls += 1
        raise RuntimeError("the store is unavailable (connection refused)")


def test_a_broken_store_fails_the_job_after_retries_and_says_why(tmp_path: Path) -> None:
    broken = BrokenStoreIngestor()
    queue = JobQueue(tmp_path / "jobs.sqlite", broken, retry_wait_s=0.0, max_attempts=5)
    job_id = queue.submit(articles(3))
    for _ in range(10):
        queue.run_pending()
        time.sleep(0.01)
    job = queue.get(job_id)
    assert job is not None and job.state == "failed" and broken.calls == 5
    assert job.error is not None and "connection refused" in job.error
    assert job.counts == {"failed": 3}
    assert all(a.reason and a.reason.startswith("not stored:") for a in job.articles)


def test_the_worker_thread_runs_what_is_submitted(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor)
    queue.start(poll_s=0.05)
    try:
        job = finished(queue, queue.submit(articles(3)))
        assert job.state == "done" and job.counts == {"added": 3}
    finally:
        queue.stop()


def test_an_acknowledged_job_is_on_disk(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "jobs.sqlite"
    job_id = JobQueue(path, ingestor).submit(articles(2))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT state, total FROM jobs WHERE id = ?", (job_id,)).fetchone() == ("queued", 2)
        assert db.execute("SELECT count(*) FROM job_articles WHERE body IS NOT NULL").fetchone() == (2,)
    assert JobQueue(path, ingestor).get("nope") is None


def test_a_worker_that_lost_its_lease_writes_nothing_more(tmp_path: Path, ingestor: Ingestor) -> None:
    """A step slower than the lease: another worker has taken the job; the first one's outcomes
    are not recorded over the new owner's, and it stops."""
    path = tmp_path / "jobs.sqlite"
    slow = JobQueue(path, ingestor, step_articles=2, lease_s=0.2)
    job_id = slow.submit(articles(4))
    assert slow._claim() == job_id
    time.sleep(0.3)  # the lease runs out while "slow" is between steps
    other = JobQueue(path, ingestor, step_articles=2)
    assert other._claim() == job_id
    assert slow._step(job_id) is False  # it no longer owns the job: nothing done, nothing recorded
    job = other.get(job_id)
    assert job is not None and job.counts == {"pending": 4}
    other.run_pending()
    job = other.get(job_id)
    assert job is not None and job.state == "done" and job.counts == {"added": 4}


def test_an_id_twice_in_a_job_is_written_once_and_reported_each_time(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor)
    first, second = articles(1)[0][1], articles(1)[0][1].model_copy(update={"text": "A second version. " * 5})
    job_id = queue.submit([(0, first), (1, second), (2, articles(2)[1][1])])
    queue.run_pending()
    job = queue.get(job_id)
    assert job is not None and [a.status for a in job.articles] == ["unchanged", "added", "added"]
    assert job.articles[0].reason == "repeated later in this job (articles[1])"
    stored = ingestor.store.get_article("job-0")
    assert stored is not None and stored.text == second.text


class FlakyStore:
    """Wraps a store so that its next N batch writes fail, as a dropped connection would."""

    def __init__(self, store: object, failures: int) -> None:
        self._store, self.failures = store, failures

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def upsert_articles(self, items: object) -> None:
        if self.failures > 0:
            raise ConnectionError("connection reset by peer")
        self._store.upsert_articles(items)  # type: ignore[attr-defined]

    def upsert_article(self, *args: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("connection reset by peer")
        self._store.upsert_article(*args)  # type: ignore[attr-defined]


def test_a_failed_store_write_is_retried_not_reported_as_the_articles_fault(
    tmp_path: Path, embedded_settings: Settings, hashing_embedder: Embedder
) -> None:
    flaky = FlakyStore(open_store(embedded_settings), failures=2)
    queue = JobQueue(tmp_path / "jobs.sqlite", Ingestor(flaky, hashing_embedder), retry_wait_s=0.0)  # type: ignore[arg-type]
    job_id = queue.submit(articles(3))
    for _ in range(5):
        queue.run_pending()
    job = queue.get(job_id)
    assert job is not None and job.state == "done" and job.counts == {"added": 3}


def test_the_worker_can_be_started_again_after_a_stop(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor)
    queue.start(poll_s=0.05)
    queue.stop()
    queue.start(poll_s=0.05)
    try:
        job = finished(queue, queue.submit(articles(1)))
        assert job.state == "done"
    finally:
        queue.stop()


class OneArticleNeverStored:
    """Stores every article but one, whose write always fails (as a date the store rejects did)."""

    def __init__(self, ingestor: Ingestor, bad_id: str) -> None:
        self.ingestor, self.bad_id = ingestor, bad_id

    def ingest(self, items: Iterable[Article | ArticleError], progress: object = None) -> IngestReport:
        batch = [a for a in items if isinstance(a, Article)]
        report = self.ingestor.ingest([a for a in batch if a.id != self.bad_id])
        if any(a.id == self.bad_id for a in batch):
            report.failed.append(
                failure(self.bad_id, "could not be stored: OverflowError: date value out of range", "store")
            )
        return report


def test_an_article_that_never_writes_fails_its_job_after_the_retries(tmp_path: Path, ingestor: Ingestor) -> None:
    """The failure count is not reset by the other articles' success, so the job ends."""
    queue = JobQueue(
        tmp_path / "jobs.sqlite", OneArticleNeverStored(ingestor, "job-1"), retry_wait_s=0.0, max_attempts=3
    )  # type: ignore[arg-type]
    job_id = queue.submit(articles(3))
    for _ in range(10):
        queue.run_pending()
    job = queue.get(job_id)
    assert job is not None and job.state == "failed" and job.counts == {"added": 2, "failed": 1}
    assert job.articles[1].reason == "not stored: job-1: could not be stored: OverflowError: date value out of range"


class SlowIngestor:
    def __init__(self, ingestor: Ingestor, seconds: float) -> None:
        self.ingestor, self.seconds = ingestor, seconds

    def ingest(self, items: Iterable[Article | ArticleError], progress: object = None) -> IngestReport:
        time.sleep(self.seconds)
        return self.ingestor.ingest(items)


def test_a_running_worker_keeps_its_lease_and_a_stopped_one_frees_its_job(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "jobs.sqlite"
    a = JobQueue(path, SlowIngestor(ingestor, 1.5), step_articles=1, lease_s=1.0)  # type: ignore[arg-type]
    job_id = a.submit(articles(6))
    a.start(poll_s=0.05)
    other = JobQueue(path, ingestor, step_articles=1)
    try:
        time.sleep(2.5)  # steps longer than the lease: the heartbeat renews it
        assert other._claim() is None
        job = a.get(job_id)
        assert job is not None and job.workers == [a.owner] and job.state == "running"
    finally:
        a.stop()  # after the step in progress; the job is free at once, not after the lease
    assert other._claim() == job_id
    other.run_pending()
    job = other.get(job_id)
    assert job is not None and job.state == "done" and job.counts == {"added": 6}


class CancelledMidStep:
    """Stores a step's articles, while a client cancels the job (the cancel lands mid-step)."""

    def __init__(self, ingestor: Ingestor, cancel: object) -> None:
        self.ingestor, self.cancel = ingestor, cancel

    def ingest(self, items: Iterable[Article | ArticleError], progress: object = None) -> IngestReport:
        report = self.ingestor.ingest(items)
        self.cancel()  # type: ignore[operator]
        return report


def test_a_cancelled_job_reports_what_it_stored_and_stops(tmp_path: Path, ingestor: Ingestor) -> None:
    path = tmp_path / "jobs.sqlite"
    holder: dict[str, str] = {}
    client = JobQueue(path, ingestor)
    worker = JobQueue(path, CancelledMidStep(ingestor, lambda: client.cancel(holder["id"])), step_articles=2)  # type: ignore[arg-type]
    holder["id"] = job_id = client.submit(articles(5))
    worker.run_pending()
    job = client.get(job_id)
    assert job is not None and job.state == "cancelled" and job.finished_at is not None
    # The step in progress stored two and says so; the other three were never stored.
    assert [a.status for a in job.articles] == ["added", "added", "failed", "failed", "failed"]
    assert {a.reason for a in job.articles[2:]} == {CANCELLED}
    assert ingestor.store.count_articles() == 2
    assert worker.run_pending() == 0  # nothing left to claim
    assert client.cancel("nope") is None


def test_outcomes_come_in_pages_and_finished_jobs_are_pruned(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor, retention_s=3600)
    job_id = queue.submit(articles(5))
    queue.run_pending()
    page = queue.get(job_id, offset=2, limit=2)
    assert page is not None and [a.index for a in page.articles] == [2, 3] and page.counts == {"added": 5}
    assert queue.prune() == 0  # finished just now
    assert queue.prune(now=time.time() + 3601) == 1
    assert queue.get(job_id) is None


def test_clients_take_turns_so_a_huge_job_does_not_hold_up_a_small_one(tmp_path: Path, ingestor: Ingestor) -> None:
    queue = JobQueue(tmp_path / "jobs.sqlite", ingestor, step_articles=1)
    big = queue.submit(articles(10, prefix="big"), client="key:a")
    small = queue.submit(articles(1, prefix="small"), client="key:b")
    later = queue.submit(articles(1, prefix="later"), client="key:a")
    assert queue.run_pending(max_steps=3) == 3  # a's first step, then b's, then a's again
    done = {j: queue.get(j) for j in (big, small, later)}
    assert done[small] is not None and done[small].counts == {"added": 1}
    assert done[big] is not None and done[big].counts == {"added": 2, "pending": 8}
    assert done[later] is not None and done[later].counts == {"pending": 1}  # one client's jobs: in order
    queue.run_pending()
    assert all((j := queue.get(x)) is not None and j.state == "done" for x in (big, small, later))


def test_processes_opening_one_job_file_at_once_all_start(tmp_path: Path, ingestor: Ingestor) -> None:
    """`qa serve --workers 2` opens the file from two processes at once; neither may fail on the
    schema (one did: 'duplicate column name: client'). An older file gains the column."""
    import concurrent.futures

    for n in range(5):  # a race: five fresh files, each opened by 16 at once
        path = tmp_path / f"jobs-{n}.sqlite"
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda _, p=path: JobQueue(p, ingestor), range(16)))
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as db:
        db.execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, created_at REAL NOT NULL, "
            "started_at REAL, finished_at REAL, busy_s REAL NOT NULL DEFAULT 0, total INTEGER NOT NULL, "
            "chunks INTEGER NOT NULL DEFAULT 0, owner TEXT, lease_until REAL, attempts INTEGER NOT NULL "
            "DEFAULT 0, error TEXT)"
        )
    queue = JobQueue(old, ingestor)
    job_id = queue.submit(articles(1), client="key:a")
    queue.run_pending()
    job = queue.get(job_id)
    assert job is not None and job.state == "done" and job.counts == {"added": 1}
