"""POST /ingest and GET /ingest/{id} on the real app: 202 at once, progress, per-article outcomes,
and a job a stopped server left unfinished resumed by the next one."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.services import Services
from qa.testing.api_server import start_qa_server


def items(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": f"bulk-{i}",
            "title": f"Ferry line {i} opens",
            "text": f"Ferry line {i} opened on Monday between the harbour and the islands, the port authority said.",
            "source": "Test Wire",
        }
        for i in range(start, start + n)
    ]


def wait_done(client: TestClient, url: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(url).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job not finished in {timeout_s} s: {job}")


def test_a_job_is_accepted_at_once_and_reports_each_article(client: TestClient) -> None:
    # A malformed item is a 422 for the whole request (as on POST /articles); an article that
    # cannot be stored is reported by the job.
    assert client.post("/ingest", json=[*items(1), {"title": "No text"}]).status_code == 422
    spam = {**items(1, 9)[0], "text": "buy now " * 1_000}
    batch = [*items(3), spam, {**items(1, 8)[0], "text": "x" * 2_000_000}]
    r = client.post("/ingest", json={"articles": batch})
    assert r.status_code == 202, r.text
    accepted = r.json()
    # Only what needs no chunking is refused at submit (the text over QA_MAX_ARTICLE_CHARS);
    # the job finds the low-information one.
    assert accepted["total"] == 5 and accepted["rejected"] == 1 and r.headers["location"] == accepted["url"]

    job = wait_done(client, accepted["url"])
    assert job["state"] == "done" and job["done"] == job["total"] == 5
    assert job["counts"] == {"added": 3, "failed": 2} and job["chunks"] == 3
    failed = {a["index"]: a["reason"] for a in job["articles"] if a["status"] == "failed"}
    assert failed[3].startswith("low-information text")
    assert failed[4].startswith("text has 2,000,000 characters, over the limit")
    assert client.get("/articles/bulk-1").status_code == 200
    hits = client.get("/search", params={"q": "ferry line 2 harbour islands", "k": 3}).json()
    assert any(h["article_id"] == "bulk-2" for h in hits["hits"])

    again = wait_done(client, client.post("/ingest", json=items(3)).json()["url"])
    assert again["counts"] == {"unchanged": 3}
    brief = client.get(accepted["url"], params={"articles": "false"}).json()
    assert brief["articles"] == [] and brief["counts"] == job["counts"] and brief["done"] == 5


def test_bad_requests_say_what_is_wrong(client: TestClient) -> None:
    assert client.get("/ingest/nope").status_code == 404
    assert "no ingest job" in client.get("/ingest/nope").json()["error"]["message"]
    r = client.post("/ingest", json=[])
    assert r.status_code == 422 and "no articles" in r.json()["error"]["message"]
    assert client.post("/ingest", json={"articles": "x"}).status_code == 422


def test_copies_past_the_limit_fail_in_a_job_and_the_rest_are_stored(client: TestClient) -> None:
    """In a job the copies are reported failed (not retried); the job goes on with the rest."""
    text = "The harbour council voted on Monday to close the old ferry pier for repairs until spring."
    batch = [{"id": f"jcopy-{i}", "title": f"Pier closes ({i})", "text": text} for i in range(22)]
    job = wait_done(client, client.post("/ingest", json=[*batch, *items(2, 50)]).json()["url"])
    assert job["state"] == "done" and job["counts"] == {"added": 22, "failed": 2}, job["counts"]
    failed = {a["id"]: a["reason"] for a in job["articles"] if a["status"] == "failed"}
    assert sorted(failed) == ["jcopy-20", "jcopy-21"] and "flood of copies" in failed["jcopy-20"]


def test_a_job_left_unfinished_is_resumed_by_the_next_server(embedded_settings: Settings, minilm: Embedder) -> None:
    # A server that acknowledged a job and stopped before running it (its worker never started).
    first = Services.from_settings(embedded_settings, embedder=minilm)
    from qa.schemas import ArticleIn

    job = first.submit_ingest([ArticleIn(**a) for a in items(4)])
    assert job.state == "queued"

    services = Services.from_settings(embedded_settings, embedder=minilm)
    with TestClient(create_app(embedded_settings, services)) as client:
        done = wait_done(client, f"/ingest/{job.id}")
        assert done["counts"] == {"added": 4}
        assert client.get("/articles/bulk-3").status_code == 200


def test_the_cli_sends_a_job_to_a_running_server_and_follows_it(tmp_path: Path) -> None:
    """`qa ingest --server URL` against a real `qa serve`: one line per state, a summary, exit 0;
    an article the server cannot store makes it exit 1 and say why."""
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(a) for a in items(3)) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**items(1, 7)[0], "text": "buy now " * 1_000}) + "\n")
    with start_qa_server(tmp_path / "data", env={"QA_SEED_ON_START": "false"}) as server:
        qa = [sys.executable, "-m", "qa.cli", "ingest", "--server", server.url]
        r = subprocess.run([*qa, str(good)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert "queued: 3 articles" in r.stderr and "done: added 3, updated 0, unchanged 0, chunks 3" in r.stdout
        r = subprocess.run([*qa, str(bad), "--json"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 1
        job = json.loads(r.stdout)
        assert job["state"] == "done" and "low-information text" in job["articles"][0]["reason"]
        article_id = job["articles"][0]["id"]
        r = subprocess.run([*qa, str(bad)], capture_output=True, text=True, timeout=300)
        # The job records why; the CLI names the item by its place in the batch and its id.
        assert r.returncode == 1 and f"error articles[0] ({article_id}): low-information text" in r.stderr
        r = subprocess.run([*qa[:-1], "http://127.0.0.1:9", str(good)], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "cannot reach http://127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr


def test_the_in_process_worker_is_listed_with_its_heartbeat(client: TestClient) -> None:
    """One host (SQLite): `qa serve` runs jobs itself, and says so on /ingest/workers; a job in
    progress names the worker holding it (none, once done)."""
    deadline = time.monotonic() + 30
    while not (workers := client.get("/ingest/workers").json()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 1 and workers[0]["alive"] is True
    assert workers[0]["name"].startswith(f"{workers[0]['host']}:{workers[0]['pid']}:")
    job = wait_done(client, client.post("/ingest", json=items(2, 40)).json()["url"])
    assert job["workers"] == []
    deadline = time.monotonic() + 10  # the heartbeat (every 2 s) reports the steps run
    while client.get("/ingest/workers").json()[0]["steps"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_no_worker_serves_without_running_jobs(embedded_settings: Settings, minilm: Embedder) -> None:
    """QA_INGEST_WORKER=false (qa serve --no-worker): jobs wait for a `qa worker`."""
    settings = embedded_settings.model_copy(update={"ingest_worker": False})
    with TestClient(create_app(settings, Services.from_settings(settings, embedder=minilm))) as c:
        job = c.post("/ingest", json=items(1, 50)).json()
        time.sleep(1.5)
        assert c.get(job["url"]).json()["state"] == "queued"
        assert c.get("/ingest/workers").json() == []


def test_outcomes_are_paged_and_a_finished_job_cannot_be_cancelled(client: TestClient) -> None:
    url = client.post("/ingest", json=items(5, 60)).json()["url"]
    wait_done(client, url)
    first = client.get(url, params={"limit": 2}).json()
    assert [a["index"] for a in first["articles"]] == [0, 1] and first["next_offset"] == 2
    last = client.get(url, params={"offset": 4, "limit": 2}).json()
    assert [a["index"] for a in last["articles"]] == [4] and last["next_offset"] is None
    assert client.get(url, params={"limit": 0}).status_code == 422
    r = client.delete(url)
    assert r.status_code == 409 and "already done" in r.json()["error"]["message"]
    assert client.delete("/ingest/no-such-job").status_code == 404


def test_a_queued_job_is_cancelled(embedded_settings: Settings, minilm: Embedder) -> None:
    settings = embedded_settings.model_copy(update={"ingest_worker": False})  # nothing runs it
    with TestClient(create_app(settings, Services.from_settings(settings, embedder=minilm))) as c:
        url = c.post("/ingest", json=items(3, 70)).json()["url"]
        r = c.delete(url)
        assert r.status_code == 200 and r.json()["state"] == "cancelled"
        job = c.get(url).json()
        assert job["counts"] == {"failed": 3} and job["finished_at"] is not None
        assert {a["reason"] for a in job["articles"]} == {"cancelled before it was stored"}


def test_the_job_url_is_a_path_whatever_the_host_header_says(client: TestClient) -> None:
    """A forged Host must not choose where a client (qa ingest --server, with its key) goes next."""
    r = client.post("/ingest", json=items(1, 80), headers={"Host": "evil.example:9999"})
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    assert r.json()["url"] == r.headers["location"] == f"/ingest/{job_id}"


def test_following_a_job_ends_on_a_refusal_and_rides_out_a_restart(monkeypatch: Any) -> None:
    """`qa ingest --server` follows its job through a restart (no connection, 503), but a job the
    server no longer has (404) or a refused key (401) ends it with a message: it used to retry a
    404 forever."""
    import httpx
    import pytest

    from qa.cli.ingest import _follow_job
    from qa.errors import InvalidInput, NotFound

    monkeypatch.setattr("qa.cli.ingest.time.sleep", lambda s: None)
    done = {
        "job_id": "j1",
        "state": "done",
        "total": 1,
        "done": 1,
        "counts": {"added": 1},
        "chunks": 1,
        "chunks_per_s": None,
        "articles": [],
        "created_at": "2025-07-01T00:00:00Z",
    }

    def follow(answers: list[Any]) -> Any:
        calls = iter(answers)

        def handler(request: httpx.Request) -> httpx.Response:
            answer = next(calls)
            if isinstance(answer, Exception):
                raise answer
            return answer

        with httpx.Client(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(handler)) as http:
            return _follow_job(http, "/ingest/j1", every_s=60)

    with pytest.raises(NotFound, match="no longer has job j1"):
        follow([httpx.Response(404, json={"detail": "no ingest job 'j1'"})])
    with pytest.raises(InvalidInput, match=r"401.*the job goes on: http://127\.0\.0\.1:9/ingest/j1"):
        follow([httpx.Response(401, json={"detail": "a valid API key is required"})])
    restart = [
        httpx.ConnectError("refused"),
        httpx.Response(503, headers={"retry-after": "1"}),
        httpx.Response(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # a date, long past
        httpx.Response(408),
        httpx.Response(502),
    ]
    job = follow([*restart, httpx.Response(200, json=done), httpx.Response(200, json=done)])
    assert job.state == "done" and job.counts["added"] == 1


def test_sigterm_mid_job_releases_its_lease_and_the_next_start_finishes_it(tmp_path: Path) -> None:
    """The attack's restart case on a real `qa serve`: the job's lease used to stay with the
    stopped process for its full 600 s, so a job stalled about 11 minutes after any restart. A
    SIGTERM now stops after the step in progress and releases the lease on the way out; the next
    start resumes the job at once, and every article is stored once."""
    import sqlite3

    import httpx

    env = {"QA_SEED_ON_START": "false", "QA_JOB_STEP_ARTICLES": "2", "QA_LOG_LEVEL": "WARNING"}
    data = tmp_path / "data"
    total = 300
    with start_qa_server(data, env=env) as server:
        r = httpx.post(f"{server.url}/ingest", json={"articles": items(total)}, timeout=60)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = httpx.get(f"{server.url}/ingest/{job_id}", params={"articles": "false"}, timeout=60).json()
            if job["done"] >= 4:
                break
            time.sleep(0.1)
        # leaving the block sends SIGTERM (and waits for the process to exit)
    state, owner, lease = (
        sqlite3.connect(data / "ingest_jobs.sqlite")
        .execute("SELECT state, owner, lease_until FROM jobs WHERE id = ?", (job_id,))
        .fetchone()
    )
    assert state != "done", "the job ended before the stop: make it longer"
    assert owner is None and lease is None  # released, not left to run out

    with start_qa_server(data, env=env) as server:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = httpx.get(f"{server.url}/ingest/{job_id}", params={"articles": "false"}, timeout=60).json()
            if job["state"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.5)
        assert job["state"] == "done" and job["counts"].get("added", 0) + job["counts"].get("unchanged", 0) == total, (
            job
        )
        listed = httpx.get(f"{server.url}/articles", params={"limit": 1}, timeout=60).json()
        assert listed["total"] == total
