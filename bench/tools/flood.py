"""Floods of small articles against a store of real ones: does the vector index still find itself?

    python bench/tools/flood.py [--real 300] [--flood 1200] [--mode random|same]

Real articles come from the realtimeqa corpus (read at run time, never copied). ``random``: each
flood article is 3-8 sentences of lorem words in a new order; ``same``: one lorem sentence under
every id. It reports the real chunks' nearest other-article cosines (what the near-copy threshold
would have to stay above), the flood's, and 25 real chunks' self-retrieval before and after the
flood, with the store's health figure. Seeded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.models import Article, embedding_text
from qa.services import Services

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "realtimeqa" / "corpus.jsonl.gz"
LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
    "consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum"
)
WORDS = tuple(LOREM.split())
SAME = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore."


def lorem(rng: random.Random) -> str:
    """3-8 sentences of lorem words in a new order: one article of the flood."""
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 15))).capitalize() + "."
        for _ in range(rng.randint(3, 8))
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--real", type=int, default=300)
    p.add_argument("--flood", type=int, default=1200)
    p.add_argument("--mode", choices=["random", "same"], default="random")
    p.add_argument("--corpus", type=Path, default=CORPUS)
    args = p.parse_args()
    rng = random.Random(7)
    with gzip.open(args.corpus, "rt") as f:
        rows = [json.loads(line) for line in f]
    rng.shuffle(rows)
    keys = ("id", "title", "text", "source", "published", "url")
    real = [Article.model_validate({k: r[k] for k in keys if k in r}) for r in rows[: args.real]]

    flood = [
        Article(id=f"lorem-{i}", title=f"Lorem {i}", text=SAME if args.mode == "same" else lorem(rng))
        for i in range(args.flood)
    ]
    data = tempfile.mkdtemp()
    svc = Services.from_settings(Settings(data_dir=Path(data), seed_on_start=False))  # type: ignore[call-arg]
    t = time.perf_counter()
    svc.ingestor.ingest(real)
    print(f"real: {len(real)} articles, {svc.store.count_chunks()} chunks in {time.perf_counter() - t:.0f} s")

    sample = real[: min(150, len(real))]
    texts = [(a.id, embedding_text(a.title, c.text)) for a in sample for c in svc.ingestor.chunks_of(a)]
    vectors = svc.embedder.embed([t for _, t in texts])
    owner = np.array([a for a, _ in texts])
    sims = vectors @ vectors.T
    sims[owner[:, None] == owner[None, :]] = -1
    nearest = np.percentile(sims.max(1), [50, 90, 99, 100]).round(3)
    print("real chunks' nearest other-article cosine p50/p90/p99/max:", nearest)
    fv = svc.embedder.embed([embedding_text(a.title, a.text) for a in flood[:300]])
    fs = fv @ fv.T
    np.fill_diagonal(fs, -1)
    print(
        "flood's nearest other cosine p1/p50:",
        np.percentile(fs.max(1), [1, 50]).round(3),
        "; copies at >= 0.95, median:",
        np.median((fs >= 0.95).sum(1)),
    )

    records = list(svc.store.iter_chunks())
    probes = rng.sample(records, 25)
    meta = {a.id: a for a in real}
    pv = svc.embedder.embed([embedding_text(meta[r.chunk.article_id].title, r.chunk.text) for r in probes])

    def found() -> int:
        near = svc.store.neighbours(pv, 1)
        return sum(bool(n) and n[0][0] == r.chunk.id for n, r in zip(near, probes, strict=True))

    before = found()
    t = time.perf_counter()
    report = svc.ingestor.ingest(flood)
    print(f"flood: {len(report.added)} stored, {len(report.errors)} refused in {time.perf_counter() - t:.0f} s")
    print(f"self-retrieval of 25 real chunks (top 1): before {before}, after {found()}")
    print("store health:", svc.self_retrieval())


if __name__ == "__main__":
    main()
