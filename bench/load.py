"""Load test: clients mixing ingest and ask against a real `qa serve` on 127.0.0.1.

    python bench/load.py [--clients 16] [--duration 30] [--ingest-share 0.2] [--url URL] [--json]
    python bench/load.py --hosts 2 --workers 1     # multi-host: needs redis-server

Three phases: "mixed" (ingest + ask; then every acknowledged article must be listed and
searchable), "all" (ingest + every kind of read: ask, a streamed ask, search, summarize,
briefing, list, get; with the server's RSS after a warm-up of the same mix and at the end) and
"ask" (ask only: the throughput figure). Without --url it starts its own server
on a fresh data dir with seeds/ and the eval corpus loaded, and stops it by its pid afterwards.
Bounded: each phase stops at --duration seconds or --max-requests requests, whichever is first.

With --hosts N it starts a Redis, a Chroma server, N API processes with separate data dirs and no
worker of their own, and --workers `qa worker`s. Clients take turns over the hosts; ingest goes
through POST /ingest (jobs), and the run waits for every job, read from another host than the one
that took it, then checks every acknowledged article on every host.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.testing.api_server import QAServer, start_qa_server, start_qa_worker  # noqa: E402
from qa.testing.chroma_server import start_chroma_server  # noqa: E402
from qa.testing.load import LoadConfig, run  # noqa: E402
from qa.testing.process import ServerProcess, rss_mb  # noqa: E402
from qa.testing.redis_server import start_redis_server  # noqa: E402


def start_hosts(tmp: Path, hosts: int, workers: int) -> tuple[list[QAServer], list[ServerProcess]]:
    """Redis, a Chroma server, API hosts without workers and `qa worker`s; all stopped by the caller."""
    redis, chroma = start_redis_server(tmp / "redis"), start_chroma_server(tmp / "chroma")
    env = {"QA_CHROMA_URL": chroma.url, "QA_QUEUE_URL": redis.url, "QA_LOG_LEVEL": "WARNING"}
    apis = [
        start_qa_server(
            tmp / f"api-{i}", env=env | ({"QA_SEED_ON_START": "false"} if i else {}), extra_args=["--no-worker"]
        )
        for i in range(hosts)
    ]
    runners = [start_qa_worker(tmp / f"worker-{i}", env=env) for i in range(workers)]
    return apis, [*runners, *apis, chroma, redis]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    ap.add_argument("--max-requests", type=int, default=20_000, help="requests per phase at most")
    ap.add_argument("--ingest-share", type=float, default=0.2)
    ap.add_argument("--url", help="a running server instead of starting one")
    ap.add_argument("--api-key", default=os.environ.get("QA_LOAD_API_KEY"))
    ap.add_argument("--hosts", type=int, default=1, help="API processes, each its own data dir (2+: multi-host)")
    ap.add_argument("--workers", type=int, default=1, help="`qa worker`s (multi-host mode)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        started: list[ServerProcess] = []
        urls: list[str] = [args.url] if args.url else []
        if not urls:
            if args.hosts > 1:
                apis, started = start_hosts(Path(tmp), args.hosts, args.workers)
            else:
                apis = [start_qa_server(Path(tmp) / "data", env={"QA_LOG_LEVEL": "WARNING"})]
                started = [*apis]
            urls = [a.url for a in apis]
            corpus = json.loads((REPO / "evals" / "corpus" / "articles.json").read_text())
            httpx.post(f"{urls[0]}/articles", json=corpus, timeout=300).raise_for_status()
        try:
            results = {}
            pids = [a.pid for a in apis] if not args.url else []
            for phase, share, reads in (("mixed", args.ingest_share, "ask"), ("all", 0.1, "all"), ("ask", 0.0, "ask")):
                cfg = LoadConfig(
                    clients=args.clients,
                    duration_s=args.duration,
                    max_requests=args.max_requests,
                    ingest_share=share,
                    headers=headers,
                    ingest_via="jobs" if len(urls) > 1 else "articles",
                    reads=reads,
                )
                rss: dict[str, float] = {}
                if reads == "all" and pids:  # memory is read after a warm-up of the same mix
                    run(urls, LoadConfig(**{**cfg.__dict__, "duration_s": min(10.0, args.duration)}))
                    rss["after_warm_up_mb"] = round(sum(rss_mb(p) for p in pids), 1)
                report = run(urls, cfg)
                results[phase] = report.as_dict()
                if rss:
                    rss["at_end_mb"] = round(sum(rss_mb(p) for p in pids), 1)
                    rss["growth_pct"] = round(100 * (rss["at_end_mb"] / rss["after_warm_up_mb"] - 1), 1)
                    results[phase]["server_rss"] = rss
                if not args.json:
                    print(f"{phase}: {json.dumps(report.as_dict())}", file=sys.stderr)
        finally:
            for proc in started:
                proc.stop()
    target = args.url or "qa serve (embedded store, extractive engine)"
    if not args.url and args.hosts > 1:
        target = f"{args.hosts} API hosts (--no-worker) + {args.workers} qa worker(s), Chroma server, Redis queue"
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "target": target,
        **results,
    }
    print(json.dumps(out, indent=2))
    ok = all(
        not r["errors"]
        and not r["lost_articles"]
        and not r["not_searchable"]
        and not r.get("jobs", {}).get("unfinished")
        for r in results.values()
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
