"""How the flood check's copy rule (``qa.ingest.quality.copies``) sees real news, spun copies and
the load test's random texts; with ``--cosines``, how far a spun copy's vector drifts (MiniLM).

    python bench/tools/spun_copies.py [--chunks 4000] [--cosines]

Real articles come from the realtimeqa corpus (read at run time, never copied). A spun copy has
each lower-case word swapped, with probability ``r``, for a random lower-case word of the corpus
(names and numbers are kept, as a spinner keeps them): harsher than a synonym, so its figures
are a floor. It reports, for real chunks, how many other articles' chunks the rule calls copies
(a flood is refused at QA_MAX_NEAR_COPIES, 20); for spun copies of one text, whether two of them
are copies of each other; and whether items of one template (a number or a name changed) are
taken for copies, which they must not be. Seeded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from qa.ingest.chunking import chunk_article
from qa.ingest.quality import COPY_FACTS, COPY_TRIGRAMS, COPY_WORDS, copies
from qa.models import Article, embedding_text
from qa.testing.load import _article as load_article

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "realtimeqa" / "corpus.jsonl.gz"
_WORD = re.compile(r"\w+")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--chunks", type=int, default=4000, help="real chunks sampled")
    p.add_argument("--cosines", action="store_true", help="also embed spun copies with MiniLM (minutes)")
    p.add_argument("--corpus", type=Path, default=CORPUS)
    args = p.parse_args()
    rng = random.Random(7)
    with gzip.open(args.corpus, "rt") as f:
        rows = [json.loads(line) for line in f]
    articles = [Article.model_validate({k: r[k] for k in ("id", "title", "text")}) for r in rows]
    chunks = [(a.id, c.text) for a in articles for c in chunk_article(a)]
    print(
        f"rule: trigrams >= {COPY_TRIGRAMS} (Jaccard), words >= {COPY_WORDS}, names and numbers >= {COPY_FACTS}; "
        f"{len(chunks):,} chunks"
    )

    # Candidates share a trigram (the store finds them by vector; every real copy shares trigrams).
    def trigrams(text: str) -> set[tuple[str, ...]]:
        w = _WORD.findall(text.lower())
        return set(zip(w, w[1:], w[2:], strict=False))

    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, (_, text) in enumerate(chunks):
        for t in trigrams(text):
            postings[t].append(i)
    counts = []
    for i in rng.sample(range(len(chunks)), min(args.chunks, len(chunks))):
        owner, text = chunks[i]
        shared = Counter(j for t in trigrams(text) for j in postings[t] if chunks[j][0] != owner)
        counts.append(len({chunks[j][0] for j, n in shared.items() if n >= 3 and copies(text, chunks[j][1])}))
    print(
        f"real chunks ({len(counts):,}): copy 1+ other articles {np.mean([c >= 1 for c in counts]):.3f}, "
        f"3+ {sum(c >= 3 for c in counts)}, 20+ {sum(c >= 20 for c in counts)}, most {max(counts)}"
    )

    vocab = sorted({w for _, t in chunks[:20000] for w in t.split() if w.isalpha() and w.islower()})

    def spin(text: str, r: float) -> str:
        """What a spinner does: ordinary words swapped; names and numbers kept."""
        return " ".join(rng.choice(vocab) if w.islower() and rng.random() < r else w for w in text.split())

    for r in (0.05, 0.1, 0.15, 0.2, 0.3):
        texts = [chunks[i][1] for i in rng.sample(range(len(chunks)), 200)]
        to_copy = np.mean([copies(spin(t, r), spin(t, r)) for t in texts])
        to_original = np.mean([copies(spin(t, r), t) for t in texts])
        print(f"spun, {r:.0%} of words swapped: copy to copy {to_copy:.2f}; one and its original {to_original:.2f}")

    ferry = [f"Ferry line {i} opened on Monday between the harbour and the islands, the port said." for i in range(40)]
    towns = ["Springfield", "Dayton", "Akron", "Toledo", "Canton", "Lima", "Marion", "Xenia"]
    notices = [
        f"{n} Smith, {70 + i}, of {towns[i % 8]} died Monday at home, surrounded by family."
        for i, n in enumerate(["John", "Mary", "Paul", "Anna", "Mark", "Ruth", "Carl", "Jane"])
    ]
    lanes = [f"The {d} lane of Route 9 is closed until Friday." for d in ("northern", "southern", "eastern", "western")]
    for name, texts in (
        ("one number changed", ferry),
        ("names and a number changed", notices),
        ("short lines, one word changed", lanes),
    ):
        pairs = [copies(texts[i], texts[j]) for i in range(len(texts)) for j in range(i + 1, len(texts))]
        print(f"templated items, {name}: pairs called copies {sum(pairs)} of {len(pairs)}")

    long = [chunks[i][1] for i in rng.sample(range(len(chunks)), 200)]
    tagged = np.mean([copies(t, f"{t} Ref {rng.randint(10_000, 99_999)}.") for t in long])
    print(f"a copy with a reference number of its own appended: called a copy {tagged:.2f}")

    lr = random.Random(3)
    load = [load_article(lr, f"l{i}", "m")["text"] for i in range(40)]
    pairs = [copies(load[i], load[j]) for i in range(40) for j in range(i + 1, 40)]
    print(f"load-test texts (60 words of 10): pairs called copies {sum(pairs)} of {len(pairs)}")

    if args.cosines:
        from qa.embeddings import MiniLMEmbedder

        embedder = MiniLMEmbedder()
        sample = [chunks[i] for i in rng.sample(range(len(chunks)), 150)]
        originals = embedder.embed([embedding_text("A title", t) for _, t in sample])
        for r in (0.1, 0.2, 0.3):
            spun = embedder.embed([embedding_text(f"Another title {n}", spin(t, r)) for n, (_, t) in enumerate(sample)])
            cos = (spun * originals).sum(axis=1)
            print(f"cosine, spun {r:.0%} to its original: p10 {np.quantile(cos, 0.1):.3f}, p50 {np.median(cos):.3f}")


if __name__ == "__main__":
    main()
