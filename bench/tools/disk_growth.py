"""Disk use of a data dir under repeated updates, and what `qa reindex --rebuild` gives back.

    python bench/tools/disk_growth.py [ROUNDS] [ARTICLES] [--compact N]   # default 20 rounds of 100 articles

Each round writes a new version of the same articles (one chunk each, MiniLM, embedded Chroma),
then prints the sizes of the Chroma folder and of the rest of the data dir (the embedding cache
and its WAL). At the end the vector index is rebuilt from the stored vectors. With ``--compact N``
the server's compactor runs after each round, as ``qa serve`` would with QA_COMPACT_MIN_REPLACED=N.
Seeded.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from qa.config import Settings
from qa.models import Article
from qa.services import Services, reindex_store

WORDS = ("river", "council", "budget", "storm", "vote", "school", "bridge", "police")
WORDS += ("market", "court", "fire", "road", "water", "health", "city")


def size(path: Path) -> float:
    """Megabytes under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6 if path.exists() else 0.0


def sentences(rng: random.Random, n_words: int) -> str:
    """Random words of a small vocabulary, glued as sentences (ingest refuses a bare bag of words)."""
    words = [rng.choice(WORDS) for _ in range(n_words)]
    return ". ".join(f"The {words[i]} and the " + " ".join(words[i + 1 : i + 12]) for i in range(0, n_words, 12))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("rounds", nargs="?", type=int, default=20)
    p.add_argument("articles", nargs="?", type=int, default=100)
    p.add_argument(
        "--compact", type=int, default=0, help="run the server's compactor after each round, at this minimum"
    )
    args = p.parse_args()
    rng = random.Random(3)
    data = Path(tempfile.mkdtemp())
    settings = Settings(data_dir=data, seed_on_start=False, compact_min_replaced=args.compact)  # type: ignore[call-arg]
    svc = Services.from_settings(settings)
    n = args.articles
    for r in range(args.rounds):
        bodies = [sentences(rng, 120) for _ in range(n)]
        report = svc.ingestor.ingest(
            [Article(id=f"a{i}", title=f"Story {i}", text=f"{bodies[i]} round {r}.") for i in range(n)]
        )
        assert not report.errors, report.errors[:1]
        compacted = svc.compactor.run_once() if svc.compactor is not None else None
        chroma, chunks = size(data / "chroma"), svc.store.count_chunks()
        index = sum(size(d) for d in (data / "chroma").iterdir() if d.is_dir())
        print(
            f"round {r + 1}: chroma {chroma:.2f} MB (vector index {index:.2f} MB), rest {size(data) - chroma:.2f} MB, "
            f"{chunks} chunks{'; compacted' if compacted else ''}"
        )
    before = size(data / "chroma")
    rebuilt = reindex_store(settings, rebuild=True)
    after = size(data / "chroma")
    print(f"rebuild: {rebuilt.copied} chunks in {rebuilt.seconds} s; chroma {before:.2f} -> {after:.2f} MB")


if __name__ == "__main__":
    main()
