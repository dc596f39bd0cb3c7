"""A real multi-host run: one Chroma server, one Redis, two API processes with separate data dirs
(two "hosts", no worker of their own) and two `qa worker`s. A job submitted on one host is read on
the other; a worker SIGKILLed mid-job leaves the job to the other, every article stored once; both
hosts answer from the new articles right after; one rate limit holds across both hosts."""

from __future__ import annotations

import itertools
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.testing.api_server import QAServer, QAWorker, start_qa_server, start_qa_worker
from qa.testing.chroma_server import ChromaServer
from qa.testing.redis_server import RedisServer

pytestmark = [pytest.mark.chroma_server, pytest.mark.redis]

ARTICLES = 24
LIMIT = 40  # requests per minute per key, counted in Redis across both hosts


def marker() -> str:
    return "zq" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def wait_for(what: str, check: Any, timeout_s: float = 120.0, every_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(every_s)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(600)
def test_two_hosts_two_workers_one_redis(
    tmp_path: Path, chroma_server: ChromaServer, redis_server: RedisServer
) -> None:
    keys = ["ops-a", "ops-b", "ops-c", "ops-d", "limited"]
    shared = {
        "QA_CHROMA_URL": chroma_server.url,
        "QA_COLLECTION_PREFIX": f"mh{uuid.uuid4().hex[:8]}",
        "QA_QUEUE_URL": redis_server.url.removesuffix("/0") + "/1",  # a database of its own
        "QA_QUEUE_DEAD_WORKER_S": "3",
        "QA_JOB_STEP_ARTICLES": "2",
        "QA_RATE_LIMIT": f"{LIMIT}/minute",
        "QA_RATE_LIMIT_STORAGE": redis_server.url.removesuffix("/0") + "/2",
        "QA_API_KEYS": ",".join(keys),
        "QA_LOG_LEVEL": "WARNING",
    }
    hosts: list[QAServer] = []
    workers: list[QAWorker] = []
    try:
        hosts.append(start_qa_server(tmp_path / "a", env=shared, extra_args=["--no-worker"]))  # seeds the store
        hosts.append(
            start_qa_server(tmp_path / "b", env={**shared, "QA_SEED_ON_START": "false"}, extra_args=["--no-worker"])
        )
        # The ops keys take turns so the checks below stay far under any one key's limit.
        turn = itertools.cycle(keys[:4])

        def call(host: int, method: str, path: str, **kw: Any) -> httpx.Response:
            headers = {"X-API-Key": next(turn)}
            return httpx.request(method, hosts[host].url + path, headers=headers, timeout=120, **kw)

        for host in (0, 1):
            assert call(host, "GET", "/ingest/workers").json() == []  # --no-worker: the API runs no jobs

        workers = [start_qa_worker(tmp_path / name, env=shared) for name in ("w1", "w2")]
        pids = {w.pid for w in workers}
        wait_for(
            "two live workers",
            lambda: {w["pid"] for w in call(1, "GET", "/ingest/workers").json() if w["alive"]} == pids,
        )

        # A job submitted on host A is read on host B, while both workers run its steps.
        markers = [marker() for _ in range(ARTICLES)]
        batch = [
            {"id": f"mh-{i}", "title": f"Harbor report {m}", "text": f"The {m} harbor reopened on Tuesday."}
            for i, m in enumerate(markers)
        ]
        submitted = call(0, "POST", "/ingest", json=batch)
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        seen = call(1, "GET", f"/ingest/{job_id}", params={"articles": "false"})
        assert seen.status_code == 200 and seen.json()["total"] == ARTICLES

        # A worker holding a step of it is SIGKILLed mid-job.
        def holder() -> int | None:
            job = call(1, "GET", f"/ingest/{job_id}", params={"articles": "false"}).json()
            assert job["state"] != "done", "the job finished before a worker could be killed; make it longer"
            pid_of = {w["name"]: w["pid"] for w in call(1, "GET", "/ingest/workers").json()}
            held = [pid_of[n] for n in job["workers"] if n in pid_of]
            return held[0] if held and 0 < job["done"] < ARTICLES else None

        victim_pid = wait_for("a worker holding a step", holder, every_s=0.1)
        victim = next(w for w in workers if w.pid == victim_pid)
        os.kill(victim.pid, signal.SIGKILL)
        victim.stop()

        job = wait_for(
            "the job to finish",
            lambda: (j := call(0, "GET", f"/ingest/{job_id}").json())["state"] in ("done", "failed") and j,
            timeout_s=300,
        )
        assert job["state"] == "done" and job["done"] == ARTICLES, job
        # The killed worker's step ran again; what it had written comes back unchanged, and says so.
        redone = [a for a in job["articles"] if a["status"] != "added"]
        assert len(redone) <= 2 and all(a["status"] == "unchanged" for a in redone), job
        assert all(a["reason"].startswith("stored already: by this job's earlier run") for a in redone), job
        # Listed as silent once QA_QUEUE_DEAD_WORKER_S has passed (the job may end sooner: the
        # killed worker may have finished its step just before the signal).
        wait_for(
            "the killed worker listed as not alive",
            lambda: [w["alive"] for w in call(0, "GET", "/ingest/workers").json() if w["pid"] == victim_pid] == [False],
            timeout_s=30,
        )

        # Every article stored once, and both hosts answer from them at once.
        for host in (0, 1):
            assert call(host, "GET", "/articles", params={"limit": 1}).json()["total"] == 4 + ARTICLES
        for i in (0, ARTICLES // 2, ARTICLES - 1):
            hits = call(1, "GET", "/search", params={"q": markers[i], "k": 3}).json()["hits"]
            assert [h["article_id"] for h in hits].count(f"mh-{i}") == 1 and hits[0]["article_id"] == f"mh-{i}"
            for host in (0, 1):
                body = call(host, "POST", "/ask", json={"question": f"When did the {markers[i]} harbor reopen?"}).json()
                assert "Tuesday" in body["answer"] and body["citations"][0]["article_id"] == f"mh-{i}", body

        # One limit across both hosts: a key's requests count wherever they land.
        codes = [
            httpx.get(
                hosts[n % 2].url + "/articles", params={"limit": 1}, headers={"X-API-Key": "limited"}, timeout=60
            ).status_code
            for n in range(LIMIT + 2)
        ]
        assert codes[:LIMIT] == [200] * LIMIT and codes[LIMIT:] == [429, 429], codes
    finally:
        for p in [*workers, *hosts]:
            p.stop()
