"""The cross-encoder: reads the question and one sentence together and scores how well it answers.

A bi-encoder embeds the two apart, so "The drones hit an industrial plant in Izhevsk" and "The drone
struck the Kupol plant" look alike to it; a cross-encoder attends across both and can tell which
one names the plant. This one is all-MiniLM-L6-v2's first layers fine-tuned here on questions made
from news sentences (``bench/tools/train_cross_encoder.py``), shipped as int8 ONNX in
``qa/assets/cross_encoder/`` with its ``model.json`` card, and run by onnxruntime: no torch and no
network at run time. The session is created once per process, on the first score.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from cachetools import LRUCache

from qa.errors import QAError

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

ASSETS = Path(__file__).resolve().parents[2] / "assets"
MODEL_DIR = ASSETS / "cross_encoder"
MODEL_FILE = MODEL_DIR / "model.int8.onnx"
TOKENIZER = ASSETS / "minilm" / "tokenizer.json"
# Pairs scored in one run: at 64 tokens a batch of this size is where onnxruntime stops gaining.
BATCH = 32
# Scores kept per process: a question asked again (or re-read to judge an LLM's quotes) costs no
# model run. About 100 bytes an entry.
CACHE_PAIRS = 50_000


class CrossEncoder:
    """Scores (question, sentence) pairs: the model's log-odds that the sentence answers the question."""

    def __init__(self, model_dir: Path = MODEL_DIR, *, threads: int = 0) -> None:
        card_path = model_dir / "model.json"
        try:
            self.card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise QAError(f"the cross-encoder's card {card_path} cannot be read ({exc}): reinstall qa") from exc
        self.model_path = model_dir / "model.int8.onnx"
        if not self.model_path.is_file():
            raise QAError(f"the cross-encoder model {self.model_path} is missing: reinstall qa")
        self.max_len = int(self.card["max_len"])
        self.threads = threads
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()
        self._cache: LRUCache[bytes, float] = LRUCache(CACHE_PAIRS)

    @property
    def session(self) -> ort.InferenceSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = _session(str(self.model_path), self.threads)
        return self._session

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One log-odds per sentence, in input order."""
        keys = [hashlib.blake2b(f"{question}\x1f{s}".encode(), digest_size=16).digest() for s in sentences]
        with self._lock:
            known = {i: self._cache[k] for i, k in enumerate(keys) if k in self._cache}
        todo = [i for i in range(len(sentences)) if i not in known]
        fresh = self._run(question, [sentences[i] for i in todo])
        with self._lock:
            for i, v in zip(todo, fresh.tolist(), strict=True):
                self._cache[keys[i]] = v
        out = np.array([known.get(i, 0.0) for i in range(len(sentences))], dtype=np.float64)
        out[todo] = fresh
        return out

    def _run(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(sentences), dtype=np.float64)
        if not sentences:
            return out
        enc = pair_tokenizer(self.max_len).encode_batch([(question, s) for s in sentences])
        order = sorted(range(len(enc)), key=lambda i: len(enc[i].ids))
        for lo in range(0, len(order), BATCH):
            rows = order[lo : lo + BATCH]
            ids, mask, types = pad([enc[i] for i in rows])
            (scores,) = self.session.run(["score"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
            out[rows] = scores
        return out


def pad(encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids, attention mask and segment ids of encoded pairs, padded to the longest: the
    model's three inputs, built the same way in training and here."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for r, e in enumerate(encodings):
        n = len(e.ids)
        ids[r, :n], types[r, :n], mask[r, :n] = e.ids, e.type_ids, 1
    return ids, mask, types


@lru_cache(maxsize=2)
def pair_tokenizer(max_len: int) -> Tokenizer:
    """The embedder's vocabulary, reading "[CLS] question [SEP] sentence [SEP]", cut to ``max_len``."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER))
    tok.no_padding()
    tok.enable_truncation(max_length=max_len, strategy="longest_first")
    return tok


@lru_cache(maxsize=2)
def _session(path: str, threads: int) -> ort.InferenceSession:
    import os

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=1)
def default_cross_encoder() -> CrossEncoder:
    """The shipped model, shared by every reader in the process."""
    return CrossEncoder()
