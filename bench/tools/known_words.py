"""How much of a text the embedder can read: the known-word share that ingest's bar (QA_MIN_KNOWN_WORDS) reads.

    python bench/tools/known_words.py [--corpus PATH]

For the realtimeqa corpus (read at run time, never copied) it prints the share of each article's
letter-words that are whole words of MiniLM's vocabulary, over the whole text and over its first
20 and 40 words (short texts are the hard case), and how many articles the default bar would
refuse, and the share of glue words ("the", "of", "and"…); then the same for 1,000 seeded
lorem-ipsum articles (as bench/tools/flood.py writes them) and 1,000 bags of 60 random words of
the load test's vocabulary, and three sentences of news in other languages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

import numpy as np

from qa.ingest.limits import DEFAULT_LIMITS
from qa.ingest.quality import GLUE_WORDS, LETTER_WORDS, MIN_GLUE_SHARE, plain_text, vocabulary

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "realtimeqa" / "corpus.jsonl.gz"
OTHER_LANGUAGES = {
    "Spanish": "El presidente del Gobierno anunció este martes un paquete de medidas para contener la subida de los "
    "precios de la energía, que según los expertos afectará a millones de hogares en todo el país durante el invierno.",
    "French": "Le président de la République a annoncé mardi un ensemble de mesures pour contenir la hausse des prix "
    "de l'énergie, qui selon les experts touchera des millions de foyers dans tout le pays cet hiver.",
    "German": "Der Bundeskanzler hat am Dienstag ein Maßnahmenpaket angekündigt, um den Anstieg der Energiepreise zu "
    "bremsen, der nach Ansicht von Experten Millionen Haushalte im ganzen Land treffen wird.",
}


def known(words: list[str]) -> float:
    vocab = vocabulary()
    return sum(w in vocab for w in words) / len(words)


def figures(name: str, texts: list[str]) -> None:
    words = [LETTER_WORDS.findall(plain_text(t)) for t in texts]
    bar = DEFAULT_LIMITS.min_known_words
    for n in (None, 20, 40):
        shares = np.array([known(w[:n]) for w in words if len(w) >= (n or 20)])
        p = np.percentile(shares, [0, 1, 50, 100]).round(3)
        label = "whole text" if n is None else f"first {n} words"
        print(
            f"{name:>8} {label:>15}: n={len(shares):,} min {p[0]} p1 {p[1]} p50 {p[2]} max {p[3]}; "
            f"under {bar}: {(shares < bar).sum():,}"
        )
    glue = np.array([sum(x in GLUE_WORDS for x in w) / len(w) for w in words if len(w) >= 20])
    g = np.percentile(glue, [0, 1, 50]).round(3)
    print(
        f"{name:>8} glue words: min {g[0]} p1 {g[1]} p50 {g[2]}; "
        f"under {MIN_GLUE_SHARE}: {(glue < MIN_GLUE_SHARE).sum():,}"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", type=Path, default=CORPUS)
    args = p.parse_args()
    with gzip.open(args.corpus, "rt") as f:
        rows = [json.loads(line) for line in f]
    figures("news", [f"{r.get('title', '')}\n{r['text']}" for r in rows])

    from flood import WORDS, lorem  # bench/tools, beside this script

    rng = random.Random(7)
    figures("lorem", [lorem(rng) for _ in range(1000)])
    from qa.testing.load import _TOPICS as VOCAB  # the load test's ten words

    figures("bags", [" ".join(rng.choice(VOCAB) for _ in range(60)) for _ in range(1000)])
    print("lorem words the vocabulary knows:", ", ".join(w for w in WORDS if w in vocabulary()))
    for language, text in OTHER_LANGUAGES.items():
        print(f"{language}: {known(LETTER_WORDS.findall(plain_text(text))):.2f}")


if __name__ == "__main__":
    main()
