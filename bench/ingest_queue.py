"""The ingest queue's own costs, one host against a shared Redis (no HTTP, a hash embedder, so
only the queue and the store are timed):

    python bench/ingest_queue.py [--jobs 200] [--json]      # needs redis-server for the Redis rows

- submit: how long POST /ingest holds a client for a 1-article and a 500-article job (the batch
  made durable: a SQLite transaction, or a Redis MULTI plus one Dramatiq message per step);
- pickup: submit → done for a 1-article job with an idle worker (the queue's latency);
- throughput: the 500-article job drained by one worker, then --jobs 1-article jobs submitted at
  once, drained by one worker;
- failover (Redis): a step taken by a worker that then died (fetched, never acked, no heartbeat
  after) is run by another worker; the time from the death to the job's end, against
  QA_QUEUE_DEAD_WORKER_S.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.config import Settings  # noqa: E402
from qa.embeddings import HashingEmbedder  # noqa: E402
from qa.ingest.jobs import IngestQueue  # noqa: E402
from qa.ingest.jobs_sqlite import JobQueue  # noqa: E402
from qa.ingest.pipeline import Ingestor  # noqa: E402
from qa.models import Article  # noqa: E402
from qa.store.chroma import open_store  # noqa: E402
from qa.testing.redis_server import redis_server_binary, start_redis_server  # noqa: E402


def articles(n: int, prefix: str) -> list[tuple[int, Article]]:
    return [
        (i, Article(id=f"{prefix}-{i}", title=f"Report {i}", text=f"The council voted {i} to 2 on ferry {i}."))
        for i in range(n)
    ]


def wait(queue: IngestQueue, job_id: str, timeout_s: float = 600) -> float:
    t0 = time.perf_counter()
    while (job := queue.get(job_id, articles=False)) is not None and job.state not in ("done", "failed"):
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError(job_id)
        time.sleep(0.005)
    return time.perf_counter() - t0


def ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values) * 1000, 1), "max": round(max(values) * 1000, 1)}


def measure(name: str, make: Callable[[str], IngestQueue], jobs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    q = make("a")
    t: list[float] = []
    for k in range(20):
        t0 = time.perf_counter()
        q.submit(articles(1, f"{name}-s{k}"))
        t.append(time.perf_counter() - t0)
    out["submit_1_article_ms"] = ms(t)
    t0 = time.perf_counter()
    big = q.submit(articles(500, f"{name}-big"))
    out["submit_500_articles_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    q.start()
    out["drain_500_articles_s"] = round(wait(q, big), 2)
    pickup = []
    for k in range(10):
        t0 = time.perf_counter()
        job = q.submit(articles(1, f"{name}-p{k}"))
        wait(q, job)
        pickup.append(time.perf_counter() - t0)
    out["pickup_1_article_ms"] = ms(pickup)
    t0 = time.perf_counter()
    ids = [q.submit(articles(1, f"{name}-t{k}")) for k in range(jobs)]
    for job_id in ids:
        wait(q, job_id)
    out["jobs_per_s"] = round(jobs / (time.perf_counter() - t0), 1)
    q.stop()
    return out


def failover(url: str, ingestor: Ingestor, dead_worker_s: float) -> dict[str, float]:
    from qa.ingest.jobs_redis import QUEUE, RedisJobQueue

    crashed = RedisJobQueue(url, ingestor, prefix="failover", dead_worker_s=dead_worker_s)
    job_id = crashed.submit(articles(4, "failover"))
    consumer = crashed.broker.consume(QUEUE, prefetch=1, timeout=100)
    next(m for m in consumer if m is not None)  # taken, then the worker "dies"
    died = time.perf_counter()
    other = RedisJobQueue(url, ingestor, prefix="failover", dead_worker_s=dead_worker_s)
    other.start()
    wait(other, job_id)
    other.stop()
    took = time.perf_counter() - died
    return {"dead_worker_s": dead_worker_s, "death_to_done_s": round(took, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qa-queue-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", seed_dir=Path(tmp) / "none")
        ingestor = Ingestor(open_store(settings), HashingEmbedder(dim=64))
        results["sqlite"] = measure("sqlite", lambda _: JobQueue(Path(tmp) / "jobs.sqlite", ingestor), args.jobs)
        if redis_server_binary():
            from qa.ingest.jobs_redis import RedisJobQueue

            with start_redis_server(Path(tmp) / "redis") as redis:
                results["redis"] = measure(
                    "redis", lambda p: RedisJobQueue(redis.url, ingestor, prefix=f"bench-{p}"), args.jobs
                )
                results["redis"]["failover"] = [failover(redis.url, ingestor, s) for s in (5.0, 15.0)]
        else:
            results["redis"] = "skipped: redis-server is not installed"
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
