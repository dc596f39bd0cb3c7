"""Load test: clients mixing ingest and ask against a real `qa serve` on 127.0.0.1.

    python bench/load.py [--clients 16] [--duration 30] [--ingest-share 0.2] [--url URL] [--json]

Two phases: "mixed" (ingest + ask; then every acknowledged article must be listed and
searchable) and "ask" (ask only: the throughput figure). Without --url it starts its own server
on a fresh data dir with seeds/ and the eval corpus loaded, and stops it by its pid afterwards.
Bounded: each phase stops at --duration seconds or --max-requests requests, whichever is first.
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

from qa.testing.api_server import start_qa_server  # noqa: E402
from qa.testing.load import LoadConfig, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    ap.add_argument("--max-requests", type=int, default=20_000, help="requests per phase at most")
    ap.add_argument("--ingest-share", type=float, default=0.2)
    ap.add_argument("--url", help="a running server instead of starting one")
    ap.add_argument("--api-key", default=os.environ.get("QA_LOAD_API_KEY"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        server = None
        url = args.url
        if url is None:
            server = start_qa_server(Path(tmp) / "data", env={"QA_LOG_LEVEL": "WARNING"})
            url = server.url
            corpus = json.loads((REPO / "evals" / "corpus" / "articles.json").read_text())
            httpx.post(f"{url}/articles", json=corpus, timeout=300).raise_for_status()
        try:
            results = {}
            for phase, share in (("mixed", args.ingest_share), ("ask", 0.0)):
                cfg = LoadConfig(
                    clients=args.clients,
                    duration_s=args.duration,
                    max_requests=args.max_requests,
                    ingest_share=share,
                    headers=headers,
                )
                report = run(url, cfg)
                results[phase] = report.as_dict()
                if not args.json:
                    print(f"{phase}: {json.dumps(report.as_dict())}", file=sys.stderr)
        finally:
            if server is not None:
                server.stop()
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "target": url if args.url else "qa serve (embedded store, extractive engine)",
        **results,
    }
    print(json.dumps(out, indent=2))
    ok = all(not r["errors"] and not r["lost_articles"] and not r["not_searchable"] for r in results.values())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
