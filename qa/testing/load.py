"""A bounded load run against a live server: clients mixing ingest and ask (or, with
``LoadConfig.reads="all"``, every kind of read: ask, a streamed ask, search, summarize, briefing,
list and get), then a check that every article the server acknowledged is listed and searchable.

Used by ``bench/load.py`` (the figures) and by the tests (a short run in CI). Bounded twice:
by wall time and by a request budget, so a slow machine makes the run thinner, not longer.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

QUESTIONS = [
    "How many drones did Russia launch at Ukraine?",
    "What did the Supreme Court decide?",
    "Who won the election?",
    "What happened to interest rates?",
    "Why did the strike begin?",
    "What did officials say about the storm?",
    "What is the latest on the ceasefire talks?",
    "How much will the new stadium cost?",
]
_TOPICS = ["council", "budget", "river", "storm", "vote", "bridge", "harbor", "election", "court", "tariff"]
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def _marker() -> str:
    """A made-up word no article has; letters only, since the lexical tokenizer splits letters from digits."""
    return "zq" + uuid.uuid4().hex[:12].translate(_LETTERS)


@dataclass
class LoadConfig:
    clients: int = 16
    duration_s: float = 10.0
    max_requests: int = 5_000
    ingest_share: float = 0.2  # fraction of requests that add an article
    k: int = 5
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    seed: int = 1
    # "articles": POST /articles (stored when answered); "jobs": POST /ingest (queued when answered;
    # the run then waits for every job). Jobs carry only new articles: two jobs are not ordered, so
    # an update in one could land before the version it replaces in another.
    ingest_via: str = "articles"
    jobs_wait_s: float = 300.0
    # "ask": every request that does not ingest asks; "all": each picks one of READS at random.
    reads: str = "ask"


READS = ("ask", "stream", "search", "summarize", "briefing", "list", "get")


def _read_request(rng: random.Random, kind: str, ids: list[str], k: int) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, JSON body) of one read of ``kind``; ``ids`` are articles known to be stored."""
    question = rng.choice(QUESTIONS)
    if kind == "ask":
        return "POST", "/ask", {"question": question, "k": k}
    if kind == "stream":
        return "POST", "/ask", {"question": question, "k": k, "stream": True}
    if kind == "search":
        return "GET", f"/search?q={rng.choice(_TOPICS)}&k={k}", None
    if kind == "summarize":
        return "POST", "/summarize", {"article_id": rng.choice(ids)}
    if kind == "briefing":
        return "GET", "/briefing", None
    if kind == "list":
        return "GET", f"/articles?limit=20&offset={rng.randrange(0, 40)}", None
    return "GET", f"/articles/{rng.choice(ids)}", None


@dataclass
class LoadReport:
    clients: int
    duration_s: float
    requests: int
    errors: dict[str, int]
    latency_ms: dict[str, dict[str, float]]
    requests_per_s: dict[str, float]
    acknowledged: int
    lost: list[str]
    not_searchable: list[str]
    error_samples: list[str]
    hosts: int = 1
    jobs: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.lost and not self.not_searchable

    def as_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "duration_s": round(self.duration_s, 2),
            "requests": self.requests,
            "requests_per_s": self.requests_per_s,
            "latency_ms": self.latency_ms,
            "errors": self.errors,
            "acknowledged_articles": self.acknowledged,
            "lost_articles": len(self.lost),
            "not_searchable": len(self.not_searchable),
            "error_samples": self.error_samples[:5],
            **({"hosts": self.hosts} if self.hosts > 1 else {}),
            **({"jobs": self.jobs} if self.jobs else {}),
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    qs = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {
        "p50": round(qs[49], 1),
        "p95": round(qs[94], 1),
        "p99": round(qs[98], 1),
        "max": round(max(values), 1),
    }


def _article(rng: random.Random, article_id: str, marker: str) -> dict[str, str]:
    words = [rng.choice(_TOPICS) for _ in range(60)]
    # Sentences, not a bag of words: ingest refuses text without the words that hold sentences together.
    body = ". ".join(f"The {words[i]} and the " + " ".join(words[i + 1 : i + 12]) for i in range(0, 60, 12))
    return {
        "id": article_id,
        "title": f"Load test report {marker}",
        "source": "Load Test Wire",
        "published": "2025-07-02",
        # The marker is a word no other article has, so a search for it must find this one.
        "text": f"The {marker} report was filed today. {body}.",
    }


def run(base_url: str | list[str], cfg: LoadConfig) -> LoadReport:
    """Clients take turns over the hosts given; the check afterwards reads from every host."""
    urls = [base_url] if isinstance(base_url, str) else base_url
    jobs: dict[str, str] = {}  # job id -> the host it was submitted to
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    samples: list[str] = []
    acked: dict[str, str] = {}  # article id -> its marker word
    budget = [cfg.max_requests]
    stored: list[str] = []  # ids for summarize and get: the first page of what the server holds
    if cfg.reads == "all":
        with httpx.Client(base_url=urls[0], headers=cfg.headers, timeout=cfg.timeout_s) as http:
            stored = [a["id"] for a in http.get("/articles", params={"limit": 50}).json()["articles"]]
    deadline = time.monotonic() + cfg.duration_s

    def take() -> bool:
        with lock:
            if budget[0] <= 0 or time.monotonic() >= deadline:
                return False
            budget[0] -= 1
            return True

    def client(n: int) -> None:
        rng = random.Random(cfg.seed * 1000 + n)
        mine: list[str] = []  # this client's acknowledged articles; only it updates them, so order is known
        url = urls[n % len(urls)]
        with httpx.Client(base_url=url, headers=cfg.headers, timeout=cfg.timeout_s) as http:
            while take():
                body: dict[str, Any] | list[dict[str, str]] | None
                method = "POST"
                if rng.random() < cfg.ingest_share:
                    marker = _marker()
                    # Now and then a new version of an article this client stored before.
                    update = mine and rng.random() < 0.25 and cfg.ingest_via == "articles"
                    article_id = rng.choice(mine) if update else f"load-{marker}"
                    body = _article(rng, article_id, marker)
                    kind, path = "ingest", "/articles"
                    if cfg.ingest_via == "jobs":
                        path, body = "/ingest", [body]
                else:
                    marker = article_id = ""
                    kind = rng.choice(READS) if cfg.reads == "all" and stored else "ask"
                    method, path, body = _read_request(rng, kind, stored, cfg.k)
                t0 = time.perf_counter()
                try:
                    r = http.request(method, path, json=body)
                    status = str(r.status_code)
                    detail = r.text[:200]
                    # A stream's status is sent before its answer: it must also end with one.
                    if kind == "stream" and status == "200" and "event: done" not in r.text:
                        status, detail = "no-done-event", r.text[-200:]
                except httpx.HTTPError as exc:
                    status, detail = type(exc).__name__, str(exc)[:200]
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    if status.startswith("2"):
                        latencies[kind].append(ms)
                        if path == "/ingest":
                            jobs[r.json()["job_id"]] = url
                        if kind == "ingest":
                            acked[article_id] = marker
                            if article_id not in mine:
                                mine.append(article_id)
                    else:
                        errors[f"{kind} {status}"] += 1
                        samples.append(f"{kind} {status}: {detail}")

    t_start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(cfg.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(cfg.duration_s + cfg.timeout_s + 30)
    elapsed = time.perf_counter() - t_start

    job_report = _wait_for_jobs(urls, jobs, cfg, load_end=time.time()) if jobs else {}
    lost: list[str] = []
    not_searchable: list[str] = []
    for url in urls:
        lost_here, unsearchable_here = verify_acknowledged(url, acked, cfg.headers)
        lost += [a for a in lost_here if a not in lost]
        not_searchable += [a for a in unsearchable_here if a not in not_searchable]
    all_ms = [v for vs in latencies.values() for v in vs]
    n_requests = len(all_ms) + sum(errors.values())
    return LoadReport(
        clients=cfg.clients,
        duration_s=elapsed,
        requests=n_requests,
        errors=dict(errors),
        latency_ms={"all": _percentiles(all_ms), **{k: _percentiles(v) for k, v in sorted(latencies.items())}},
        requests_per_s={
            "all": round(n_requests / elapsed, 1),
            **{k: round(len(v) / elapsed, 1) for k, v in sorted(latencies.items())},
        },
        acknowledged=len(acked),
        lost=lost,
        not_searchable=not_searchable,
        error_samples=samples,
        hosts=len(urls),
        jobs=job_report,
    )


def _wait_for_jobs(urls: list[str], jobs: dict[str, str], cfg: LoadConfig, load_end: float) -> dict[str, Any]:
    """Poll each job on a host other than the one that took it, until all finish or the wait ends;
    timings come from the jobs' own records (queued at submit, finished by a worker)."""
    states: Counter[str] = Counter()
    queued_s: list[float] = []
    finished: list[float] = []
    deadline = time.monotonic() + cfg.jobs_wait_s
    pending = dict(jobs)
    with httpx.Client(headers=cfg.headers, timeout=cfg.timeout_s) as http:
        while pending and time.monotonic() < deadline:
            for job_id, url in list(pending.items()):
                other = urls[(urls.index(url) + 1) % len(urls)]
                job = http.get(f"{other}/ingest/{job_id}", params={"articles": "false"}).json()
                if job.get("state") in ("done", "failed"):
                    states[job["state"]] += 1
                    end = datetime.fromisoformat(job["finished_at"]).timestamp()
                    queued_s.append(end - datetime.fromisoformat(job["created_at"]).timestamp())
                    finished.append(end)
                    del pending[job_id]
            if pending:
                time.sleep(0.5)
    return {
        "submitted": len(jobs),
        "finished": states.get("done", 0),
        "failed": states.get("failed", 0),
        "unfinished": len(pending),
        "submit_to_done_s": _percentiles(queued_s),
        "last_done_after_load_s": round(max(finished, default=load_end) - load_end, 1),
    }


def verify_acknowledged(
    base_url: str, acked: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """Every acknowledged article must be stored in its last acknowledged version (its text has that
    version's marker word) and a search for the marker must find it."""
    lost, not_searchable = [], []
    with httpx.Client(base_url=base_url, headers=headers or {}, timeout=60) as http:
        for article_id, marker in sorted(acked.items()):
            r = http.get(f"/articles/{article_id}")
            if r.status_code != 200 or marker not in r.json().get("text", ""):
                lost.append(article_id)
                continue
            hits = http.get("/search", params={"q": marker, "k": 3}).json().get("hits", [])
            if article_id not in {h.get("article_id") for h in hits}:
                not_searchable.append(article_id)
    return lost, not_searchable
