"""Disk use of a data dir under repeated updates, and what `qa reindex --rebuild` gives back.

    python bench/tools/disk_growth.py [ROUNDS] [ARTICLES]      # default 20 rounds of 100 articles

Each round writes a new version of the same articles (one chunk each, MiniLM, embedded Chroma),
then prints the sizes of the Chroma folder and of the rest of the data dir (the embedding cache
and its WAL). At the end the vector index is rebuilt from the stored vectors. Seeded.
"""

from __future__ import annotations

import random
import sys
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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rng = random.Random(3)
    data = Path(tempfile.mkdtemp())
    settings = Settings(data_dir=data, seed_on_start=False)  # type: ignore[call-arg]
    svc = Services.from_settings(settings)
    for r in range(rounds):
        body = [" ".join(rng.choice(WORDS) for _ in range(120)) for _ in range(n)]
        svc.ingestor.ingest([Article(id=f"a{i}", title=f"Story {i}", text=f"{body[i]} round {r}.") for i in range(n)])
        chroma, chunks = size(data / "chroma"), svc.store.count_chunks()
        print(f"round {r + 1}: chroma {chroma:.2f} MB, rest {size(data) - chroma:.2f} MB, {chunks} chunks")
    before = size(data / "chroma")
    report = reindex_store(settings, rebuild=True)
    after = size(data / "chroma")
    print(f"rebuild: {report.copied} chunks in {report.seconds} s; chroma {before:.2f} -> {after:.2f} MB")


if __name__ == "__main__":
    main()
