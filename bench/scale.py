"""Synthetic scale run: do write→query latency and a worker's memory stay flat as the corpus grows 10×?

The dev corpus (../shared/bench/realtimeqa) is replicated under new ids until the store holds the
target number of chunks. Vectors come from a fast fake embedder (a hash of the text), so only the
store and the indexes are measured, not the embedding model. At each size a fresh worker process
opens the store, brings the on-disk lexical index up to date, answers warm questions, then times
`/ask`-equivalent calls right after writing one article, and reports its RSS.

    python bench/scale.py [--sizes 30000,300000] [--out bench/out/scale.json]

It keeps its store in bench/.cache/scale/ (or $QA_SCALE_STORE) and grows it between sizes (a second
run reuses it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from qa.config import Settings
from qa.embeddings import HashingEmbedder
from qa.evals.realtimeqa import load, load_articles
from qa.lexical_disk import CLOCK_SKEW_US
from qa.models import Article
from qa.services import Services

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("QA_BENCH_DIR", REPO.parent / "shared" / "bench" / "realtimeqa"))
STORE = Path(os.environ.get("QA_SCALE_STORE", REPO / "bench" / ".cache" / "scale"))


def _services() -> Services:
    settings = Settings(data_dir=STORE, seed_on_start=False, lexical_index="disk")
    # Word hashes into 384 buckets: thousands of texts a second, no model, MiniLM's dimension.
    return Services.from_settings(settings, embedder=HashingEmbedder(dim=384))


def grow(target_chunks: int) -> dict[str, float]:
    """Add replicas of the dev corpus until the store holds at least ``target_chunks`` chunks."""
    services = _services()
    store, ingestor = services.store, services.ingestor
    articles = load_articles(BENCH)
    start_chunks, t0, replica = store.count_chunks(), time.perf_counter(), 0
    while store.count_chunks() < target_chunks:
        replica += 1
        batch = [
            Article(**{**a.model_dump(), "id": f"{a.id}-r{replica}", "title": f"{a.title} (r{replica})"})
            for a in articles
        ]
        todo = [a for a in batch if a.id not in store.article_metas([a.id])]
        for i in range(0, len(todo), 500):
            if store.count_chunks() >= target_chunks:
                break
            ingestor.ingest(todo[i : i + 500])
            print(
                f"  replica {replica}: {min(i + 500, len(todo))}/{len(todo)} articles, {store.count_chunks():,} chunks",
                file=sys.stderr,
                flush=True,
            )
    added = store.count_chunks() - start_chunks
    secs = time.perf_counter() - t0
    return {"chunks": store.count_chunks(), "added_chunks": added, "ingest_s": round(secs, 1)}


def worker(n_writes: int) -> dict[str, float]:
    """One worker's view: open, sync the index, warm asks, asks right after a write, its RSS."""
    t0 = time.perf_counter()
    services = _services()
    retriever, answers = services.retriever, services.answers
    retriever.warm()  # as `qa serve` does before it serves
    open_s = time.perf_counter() - t0
    _, questions = load(BENCH)
    qs = [q["question"] for q in questions[:40]]
    t = time.perf_counter()
    answers.ask(qs[0])
    first_ms = (time.perf_counter() - t) * 1000
    warm = []
    for q in qs[1:31]:
        t = time.perf_counter()
        answers.ask(q)
        warm.append((time.perf_counter() - t) * 1000)
    # Right after the growth the index's change window (it re-reads the last CLOCK_SKEW_US of
    # writes, for late commits and skewed clocks) holds the backfill's last two minutes; once it has
    # passed, only this worker's own writes are in it, as in a feed that takes a story at a time.
    during_backfill = _asks_after_writes(services, n_writes)
    time.sleep(CLOCK_SKEW_US / 1e6 + 5)
    steady = _asks_after_writes(services, n_writes)
    return {
        "chunks": services.store.count_chunks(),
        "open_and_sync_s": round(open_s, 2),
        "first_ask_ms": round(first_ms, 1),
        "warm_ask_p50_ms": round(statistics.median(warm), 1),
        "ask_after_write_p50_ms": round(statistics.median(steady), 1),
        "ask_after_write_during_backfill_p50_ms": round(statistics.median(during_backfill), 1),
        "worker_rss_mb": round(_rss_mb(), 1),
    }


def _asks_after_writes(services: Services, n: int) -> list[float]:
    """Write one article, ask about it at once, delete it: the ask's time, n times."""
    times = []
    for i in range(n):
        stamp = time.time_ns()
        article = Article(
            id=f"scale-write-{stamp}",
            title=f"Scale probe {i}: a council votes on the harbour budget",
            text=f"The council voted {i + 5}-4 on Monday to approve the harbour budget of ${stamp % 997} million. "
            "The mayor said the vote would fund new ferries.",
            source="Scale Wire",
        )
        services.ingestor.ingest([article])
        t = time.perf_counter()
        services.answers.ask("How did the council vote on the harbour budget?")
        times.append((time.perf_counter() - t) * 1000)
        services.ingestor.delete(article.id)
    return times


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="30000,300000", help="chunk counts to measure at, comma-separated")
    ap.add_argument("--writes", type=int, default=10, help="one-article writes timed at each size")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "scale.json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.writes)))
        return
    rows = []
    for size in (int(s) for s in a.sizes.split(",")):
        grown = grow(size)
        # A fresh process per size: its RSS is what one more worker costs at that corpus size.
        r = subprocess.run(
            [sys.executable, __file__, "--worker", "--writes", str(a.writes)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = {"target_chunks": size, **grown, **json.loads(r.stdout.strip().splitlines()[-1])}
        print(json.dumps(row), flush=True)
        rows.append(row)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
