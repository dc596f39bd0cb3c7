"""Ingest jobs on a real Redis: any queue object (another host) reads any job, a worker that
vanished mid-step has its step run by another, every article is stored once, a broken store
fails the job only after retries, and Redis down is a clear error."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import QueueUnavailable
from qa.ingest.jobs import CANCELLED
from qa.ingest.jobs_redis import QUEUE, RedisJobQueue
from qa.ingest.pipeline import Ingestor
from qa.models import Article, IngestReport, failure
from qa.store.chroma import open_store
from qa.testing.process import free_port
from qa.testing.redis_server import RedisServer

from .test_jobs import articles, finished

pytestmark = pytest.mark.redis


@pytest.fixture
def ingestor(embedded_settings: Settings, hashing_embedder: Embedder) -> Ingestor:
    return Ingestor(open_store(embedded_settings), hashing_embedder)


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"  # one Redis for the session; a prefix per test


@pytest.fixture
def queues(redis_server: RedisServer) -> Iterator[list[RedisJobQueue]]:
    made: list[RedisJobQueue] = []
    yield made
    for q in made:
        q.stop(timeout_s=5)


def make(queues: list[RedisJobQueue], url: str, ingestor: Ingestor, prefix: str, **kw: float) -> RedisJobQueue:
    q = RedisJobQueue(url, ingestor, prefix=prefix, step_articles=2, **kw)  # type: ignore[arg-type]
    queues.append(q)
    return q


def test_any_host_reads_a_job_that_a_worker_elsewhere_runs(
    redis_server: RedisServer, ingestor: Ingestor, prefix: str, queues: list[RedisJobQueue]
) -> None:
    api_a = make(queues, redis_server.url, ingestor, prefix)
    api_b = make(queues, redis_server.url, ingestor, prefix)
    batch = [*articles(5), (5, articles(1)[0][1])]  # job-0 again, last: its first copy is not written
    job_id = api_a.submit(batch, [failure(None, "Field required", index=6, field="text")])
    queued = api_b.get(job_id)
    assert queued is not None and queued.state == "queued" and queued.total == 7
    assert queued.counts == {"pending": 5, "unchanged": 1, "failed": 1}

    worker = make(queues, redis_server.url, ingestor, prefix)
    worker.start()
    job = finished(api_b, job_id)
    assert job.state == "done" and job.done == job.total == 7 and job.error is None
    assert job.counts == {"added": 5, "unchanged": 1, "failed": 1}
    assert job.articles[0].reason == "repeated later in this job (articles[5])"
    assert job.articles[6].reason == "text: Field required"
    assert job.chunks == 5 and job.started_at is not None and job.finished_at is not None
    assert ingestor.store.count_articles() == 5

    seen = {w.name: w for w in api_a.workers()}
    assert worker.name in seen and seen[worker.name].alive and seen[worker.name].steps >= 3
    assert api_a.get("no-such-job") is None

    again = api_a.submit(articles(5))
    assert finished(api_b, again).counts == {"unchanged": 5}
    worker.stop()
    assert worker.name not in {w.name for w in api_a.workers()}  # stopped, not merely silent


def test_a_step_whose_worker_vanished_is_run_by_another(
    redis_server: RedisServer, ingestor: Ingestor, prefix: str, queues: list[RedisJobQueue]
) -> None:
    crashed = make(queues, redis_server.url, ingestor, prefix, dead_worker_s=1.0)
    job_id = crashed.submit(articles(6))
    # The "crashed" worker took a step off the queue and died holding it: fetched, never acked,
    # and no heartbeat after.
    consumer = crashed.broker.consume(QUEUE, prefetch=1, timeout=100)
    taken = next(m for m in consumer if m is not None)
    assert taken.args[0] == job_id

    other = make(queues, redis_server.url, ingestor, prefix, dead_worker_s=1.0)
    other.start()
    job = finished(other, job_id, timeout_s=90)
    assert job.state == "done" and job.counts == {"added": 6}
    assert ingestor.store.count_articles() == 6


class FlakyStore:
    """A store whose writes fail the first ``failures`` times."""

    def __init__(self, ingestor: Ingestor, failures: int) -> None:
        self.ingestor, self.failures = ingestor, failures
        self.lock = threading.Lock()

    def ingest(self, batch: list[Article]) -> IngestReport:
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("store unreachable")
        return self.ingestor.ingest(batch)


def test_a_failed_step_is_retried_then_given_up_with_each_article_reported(
    redis_server: RedisServer, ingestor: Ingestor, prefix: str, queues: list[RedisJobQueue]
) -> None:
    flaky = FlakyStore(ingestor, failures=1)
    q = make(queues, redis_server.url, flaky, prefix, retry_wait_s=0.05, max_attempts=3)  # type: ignore[arg-type]
    q.start()
    job = finished(q, q.submit(articles(2)))
    assert job.state == "done" and job.counts == {"added": 2}  # one failure, then the retry stored both

    broken = FlakyStore(ingestor, failures=10**6)
    q2 = make(queues, redis_server.url, broken, prefix + "b", retry_wait_s=0.05, max_attempts=3)  # type: ignore[arg-type]
    q2.start()
    job = finished(q2, q2.submit(articles(3, prefix="down")))
    assert job.state == "failed" and job.counts == {"failed": 3}
    assert job.error is not None and job.error.startswith("gave up after 3 failed attempts: store unreachable")
    assert all(a.reason == "not stored: store unreachable" for a in job.articles)


def test_an_unreachable_redis_is_a_clear_error(ingestor: Ingestor, tmp_path: Path) -> None:
    q = RedisJobQueue(f"redis://127.0.0.1:{free_port()}/0", ingestor)
    with pytest.raises(QueueUnavailable, match=r"job queue \(QA_QUEUE_URL\) cannot be reached"):
        q.submit(articles(1))
    with pytest.raises(QueueUnavailable):
        q.get("abc")


def test_an_api_host_whose_redis_is_down_says_so(embedded_settings: Settings, minilm: Embedder) -> None:
    """The server starts (it waits for Redis, it does not crash); /readyz and POST /ingest answer 503
    naming the queue, while questions are still answered from the store."""
    from fastapi.testclient import TestClient

    from qa.api.app import create_app
    from qa.services import Services

    settings = embedded_settings.model_copy(update={"queue_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(settings, Services.from_settings(settings, embedder=minilm))) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "job queue (QA_QUEUE_URL) cannot be reached" in ready.text
        job = c.post("/ingest", json=[{"id": "x", "title": "Harbor", "text": "The harbor reopened on Tuesday."}])
        assert job.status_code == 503 and "QA_QUEUE_URL" in job.text
        assert c.post("/ask", json={"question": "How many drones did Russia launch?"}).status_code == 200


class CancelledMidStep:
    def __init__(self, ingestor: Ingestor, cancel: object) -> None:
        self.ingestor, self.cancel = ingestor, cancel

    def ingest(self, batch: list[Article]) -> IngestReport:
        report = self.ingestor.ingest(batch)
        self.cancel()  # type: ignore[operator]
        return report


def test_a_cancelled_job_reports_what_it_stored_pages_and_expires(
    redis_server: RedisServer, ingestor: Ingestor, prefix: str, queues: list[RedisJobQueue]
) -> None:
    holder: dict[str, str] = {}
    client = make(queues, redis_server.url, ingestor, prefix, retention_s=60)
    worker = make(
        queues,
        redis_server.url,
        CancelledMidStep(ingestor, lambda: client.cancel(holder["id"])),
        prefix,  # type: ignore[arg-type]
    )
    holder["id"] = job_id = client.submit(articles(5))
    worker.start()
    deadline = time.monotonic() + 30
    while (job := client.get(job_id)) is not None and job.counts.get("added", 0) < 2:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    time.sleep(0.5)  # the job's other steps run, find it cancelled and store nothing
    job = client.get(job_id)
    assert job is not None and job.state == "cancelled" and job.counts == {"added": 2, "failed": 3}, job
    assert {a.reason for a in job.articles if a.status == "failed"} == {CANCELLED}
    assert ingestor.store.count_articles() == 2
    page = client.get(job_id, offset=3, limit=5)
    assert page is not None and [a.index for a in page.articles] == [3, 4]
    assert 0 < client.client.ttl(f"{prefix}:job:{job_id}") <= 60  # then Redis deletes it
    assert client.cancel("nope") is None


def test_a_job_submitted_later_does_not_wait_for_all_of_a_huge_one(
    redis_server: RedisServer, ingestor: Ingestor, prefix: str, queues: list[RedisJobQueue]
) -> None:
    q = RedisJobQueue(redis_server.url, ingestor, prefix=prefix, step_articles=1)
    queues.append(q)
    big = q.submit(articles(12, prefix="big"))
    small = q.submit(articles(1, prefix="small"))
    q.start()
    done = finished(q, small)
    assert done.counts == {"added": 1}
    big_now = q.get(big, articles=False)
    assert big_now is not None and big_now.counts.get("pending", 0) >= 6, big_now.counts  # most of it still ahead
    assert finished(q, big).counts == {"added": 12}
