"""A bounded load run against a live server: clients mixing ingest and ask, then a check that
every article the server acknowledged is listed and searchable.

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
    body = ". ".join(" ".join(words[i : i + 12]).capitalize() for i in range(0, 60, 12))
    return {
        "id": article_id,
        "title": f"Load test report {marker}",
        "source": "Load Test Wire",
        "published": "2025-07-02",
        # The marker is a word no other article has, so a search for it must find this one.
        "text": f"The {marker} report was filed today. {body}.",
    }


def run(base_url: str, cfg: LoadConfig) -> LoadReport:
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    samples: list[str] = []
    acked: dict[str, str] = {}  # article id -> its marker word
    budget = [cfg.max_requests]
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
        with httpx.Client(base_url=base_url, headers=cfg.headers, timeout=cfg.timeout_s) as http:
            while take():
                body: dict[str, Any]
                if rng.random() < cfg.ingest_share:
                    marker = _marker()
                    # Now and then a new version of an article this client stored before.
                    article_id = rng.choice(mine) if mine and rng.random() < 0.25 else f"load-{marker}"
                    kind, path, body = "ingest", "/articles", dict(_article(rng, article_id, marker))
                else:
                    marker = article_id = ""
                    kind, path = "ask", "/ask"
                    body = {"question": rng.choice(QUESTIONS), "k": cfg.k}
                t0 = time.perf_counter()
                try:
                    r = http.post(path, json=body)
                    status = str(r.status_code)
                    detail = r.text[:200]
                except httpx.HTTPError as exc:
                    status, detail = type(exc).__name__, str(exc)[:200]
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    if status.startswith("2"):
                        latencies[kind].append(ms)
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

    lost, not_searchable = verify_acknowledged(base_url, acked, cfg.headers)
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
    )


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
