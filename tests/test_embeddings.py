"""The offline embedder: shapes, batching, fidelity to the fp32 model, the checksummed tokenizer, the cache."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import qa.embeddings as emb
from qa.config import Settings
from qa.embeddings import (
    CachedEmbedder,
    Embedder,
    EmbeddingModelError,
    HashingEmbedder,
    MiniLMEmbedder,
    get_embedder,
)

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "embeddings_reference.json").read_text("utf-8"))
# Weight-only int8 vs the fp32 original, measured by bench/tools/make_reference_embeddings.py:
# cosine 0.9993-0.9996 for sentences, 0.9964 for the 3-token "Ok".
REFERENCE_MIN_COSINE = 0.99

TEXTS = [
    "Stocks rallied on Friday as investors cheered signs that inflation was cooling.",
    "Who is the prime minister of Japan?",
    "Ok",
    "Wildfires in the west forced evacuations of several small towns, officials said, as crews battled "
    "strong winds and dry conditions for a third straight day.",
    "",
    "Ünïcödé — 東京 🚆",
]


@pytest.fixture(scope="module")
def minilm4() -> MiniLMEmbedder:
    # A small batch size, so a handful of texts already spans several length-sorted batches.
    return MiniLMEmbedder(batch_size=4)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class CountingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.calls: list[list[str]] = []
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.calls.append(list(texts))
        return self.inner.embed(texts)


# --- MiniLM ---------------------------------------------------------------------------------------


def test_shape_dtype_and_unit_rows(minilm4: MiniLMEmbedder) -> None:
    v = minilm4.embed(TEXTS)
    assert v.shape == (len(TEXTS), 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(v).all()
    assert isinstance(minilm4, Embedder) and minilm4.dim == 384


@pytest.mark.parametrize("factory", [MiniLMEmbedder, HashingEmbedder, lambda: CachedEmbedder(HashingEmbedder())])
def test_no_texts_gives_an_empty_matrix(factory: Callable[[], Embedder]) -> None:
    e = factory()
    v = e.embed([])
    assert v.shape == (0, e.dim) and v.dtype == np.float32


def test_batched_equals_one_at_a_time_in_input_order(minilm4: MiniLMEmbedder) -> None:
    # Long and short texts interleaved (and a duplicate): sorting by length reorders them internally.
    texts = [*TEXTS, TEXTS[0]]
    together = minilm4.embed(texts)
    alone = np.stack([minilm4.embed([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    np.testing.assert_array_equal(together[0], together[-1])
    # Each row is its own text's vector, not a neighbour's.
    assert (np.argmax(together[:-1] @ alone[:-1].T, axis=1) == np.arange(len(TEXTS))).all()


def test_batch_size_does_not_change_vectors(minilm4: MiniLMEmbedder) -> None:
    big = MiniLMEmbedder(batch_size=64).embed(TEXTS)
    np.testing.assert_allclose(minilm4.embed(TEXTS), big, atol=2e-5)


def test_matches_the_fp32_reference(minilm4: MiniLMEmbedder) -> None:
    items = REFERENCE["items"]
    assert minilm4.max_tokens == REFERENCE["max_tokens"]
    got = minilm4.embed([it["text"] for it in items])
    cosines = [cosine(g, np.array(it["vector"])) for g, it in zip(got, items, strict=True)]
    assert min(cosines) >= REFERENCE_MIN_COSINE, dict(zip((it["text"][:40] for it in items), cosines, strict=True))


def test_truncates_at_max_tokens(minilm4: MiniLMEmbedder) -> None:
    long = REFERENCE["items"][-1]["text"]
    assert REFERENCE["items"][-1]["n_tokens"] == 256  # the fixture's long text does get cut
    a, b = minilm4.embed([long, long + " And then something entirely different happened at the zoo."])
    np.testing.assert_allclose(a, b, atol=1e-6)
    short = MiniLMEmbedder(max_tokens=32).embed([long])[0]
    assert 0.5 < cosine(a, short) < 0.9999  # a different, shorter view of the same text


def test_paraphrase_is_closer_than_an_unrelated_sentence(minilm4: MiniLMEmbedder) -> None:
    rates, paraphrase, bread, question = minilm4.embed(
        [
            "The central bank raised interest rates by a quarter of a percentage point on Wednesday.",
            "Officials at the central bank increased borrowing costs slightly in the middle of the week.",
            "A recipe for sourdough bread needs flour, water, salt and a lot of patience.",
            "Did the central bank hike interest rates?",
        ]
    )
    # Cosines here: paraphrase 0.42, question 0.67, bread -0.03; the margins leave room for int8 noise.
    assert rates @ paraphrase > rates @ bread + 0.3
    assert question @ rates > question @ bread + 0.3
    assert question @ paraphrase > question @ bread + 0.3


def test_altered_tokenizer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    altered = tmp_path / "tokenizer.json"
    shutil.copyfile(emb.TOKENIZER_PATH, altered)
    with altered.open("a") as f:
        f.write(" ")  # still valid JSON, still loadable: only the checksum can tell
    monkeypatch.setattr(emb, "TOKENIZER_PATH", altered)
    with pytest.raises(EmbeddingModelError, match="does not match its pinned SHA-256"):
        MiniLMEmbedder()


def test_missing_tokenizer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "TOKENIZER_PATH", tmp_path / "nope.json")
    with pytest.raises(EmbeddingModelError, match="missing"):
        MiniLMEmbedder()


def test_shipped_checksum_file_agrees_with_the_code() -> None:
    sums = (emb.TOKENIZER_PATH.parent / "SHA256SUMS").read_text().split()
    assert sums == [emb.TOKENIZER_SHA256, "tokenizer.json"]


def test_get_embedder_caches_on_disk_and_shares_the_session(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embed_batch_size=8, embed_max_tokens=128)
    a, b = get_embedder(settings), get_embedder(settings)
    assert isinstance(a, CachedEmbedder) and isinstance(a.inner, MiniLMEmbedder)
    assert (a.inner.batch_size, a.inner.max_tokens) == (8, 128)
    assert (tmp_path / "data" / "embeddings-cache.sqlite").is_file()
    assert isinstance(b, CachedEmbedder) and isinstance(b.inner, MiniLMEmbedder)
    assert a.inner._session is b.inner._session  # loaded once per process
    assert a.model_id == "all-MiniLM-L6-v2-int8" and a.dim == 384


# --- CachedEmbedder -------------------------------------------------------------------------------


def test_cache_embeds_only_misses_in_order(tmp_path: Path) -> None:
    counting = CountingEmbedder(HashingEmbedder())
    cached = CachedEmbedder(counting, tmp_path / "cache.sqlite")
    direct = HashingEmbedder()

    v = cached.embed(["a b", "c d", "a b"])
    assert counting.calls == [["a b", "c d"]]  # the duplicate is embedded once
    np.testing.assert_array_equal(v, direct.embed(["a b", "c d", "a b"]))

    v = cached.embed(["e f", "c d", "a b"])
    assert counting.calls[1:] == [["e f"]]
    np.testing.assert_array_equal(v, direct.embed(["e f", "c d", "a b"]))

    cached.embed(["a b", "e f"])
    assert len(counting.calls) == 2  # all hits: the inner embedder is not called at all


def test_cache_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.sqlite"
    first = CachedEmbedder(HashingEmbedder(), path)
    expected = first.embed(["one", "two", "three"])
    first.close()

    counting = CountingEmbedder(HashingEmbedder())
    reopened = CachedEmbedder(counting, path)
    np.testing.assert_array_equal(reopened.embed(["three", "one", "two"]), expected[[2, 0, 1]])
    assert counting.calls == []
    reopened.embed(["four"])
    assert counting.calls == [["four"]]


def test_cache_keys_include_the_model(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    CachedEmbedder(HashingEmbedder(dim=64), path).embed(["same text"])
    other = CountingEmbedder(HashingEmbedder(dim=32))
    v = CachedEmbedder(other, path).embed(["same text"])
    assert other.calls == [["same text"]] and v.shape == (1, 32)


def test_the_cache_file_keeps_only_its_newest_rows(tmp_path: Path) -> None:
    """Bounded: questions and chunk versions pass through for ever; the oldest written go first."""
    import sqlite3

    path = tmp_path / "cache.sqlite"
    cached = CachedEmbedder(HashingEmbedder(), path, max_rows=10)
    for i in range(5):
        cached.embed([f"question {i}-{j}" for j in range(4)])
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM vectors").fetchone()[0]
    assert rows == 10
    counting = CountingEmbedder(HashingEmbedder())
    reopened = CachedEmbedder(counting, path, max_rows=10)
    reopened.embed(["question 4-3", "question 2-2", "question 0-0"])
    assert counting.calls == [["question 0-0"]]  # the newest rows are there, the first ones gone


def test_in_memory_cache_without_a_path() -> None:
    counting = CountingEmbedder(HashingEmbedder())
    cached = CachedEmbedder(counting, None)
    a = cached.embed(["x y"])
    b = cached.embed(["x y"])
    np.testing.assert_array_equal(a, b)
    assert counting.calls == [["x y"]]


def test_cache_is_thread_safe(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashingEmbedder(), tmp_path / "cache.sqlite")
    direct = HashingEmbedder()
    batches = [[f"text {(i * 7 + j) % 50}" for j in range(20)] for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(cached.embed, batches))
    for texts, got in zip(batches, results, strict=True):
        np.testing.assert_array_equal(got, direct.embed(texts))


def test_cache_rejects_an_inner_embedder_of_the_wrong_shape() -> None:
    class Broken:
        model_id, dim = "broken", 8

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros((len(texts) + 1, 8), dtype=np.float32)

    with pytest.raises(ValueError, match="expected"):
        CachedEmbedder(Broken()).embed(["a"])


# --- HashingEmbedder ------------------------------------------------------------------------------


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    a, b = HashingEmbedder(dim=64), HashingEmbedder(dim=64)
    assert a.model_id == "hashing-64"
    va, vb = a.embed(TEXTS), b.embed(TEXTS)
    np.testing.assert_array_equal(va, vb)
    assert va.shape == (len(TEXTS), 64) and va.dtype == np.float32
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-6)
    # Word overlap is all it knows: shared words make texts closer.
    x, y, z = a.embed(["rates rose today", "Rates rose sharply.", "bread recipe"])
    assert x @ y > x @ z


def _open_cache_after(barrier: object, path: Path) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    CachedEmbedder(HashingEmbedder(dim=8), path)


def test_worker_processes_can_open_a_new_cache_at_the_same_moment(tmp_path: Path) -> None:
    # `qa serve --workers N` starts N processes on one data dir; creating the cache file used to
    # fail now and then with "database is locked" (2 of 120 openings before the retry).
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for trial in range(20):
        path = tmp_path / f"cache-{trial}.sqlite"
        barrier = ctx.Barrier(6)
        procs = [ctx.Process(target=_open_cache_after, args=(barrier, path)) for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        assert [p.exitcode for p in procs] == [0] * 6


# -- the registry and the OpenAI-compatible embedder (a scripted client here; a real server in
# tests/test_embeddings_server.py) ---------------------------------------------------------------


def test_every_configurable_embedder_is_registered_with_its_identity(tmp_path: Path) -> None:
    names = set(emb.EMBEDDERS.names())
    assert names >= {"minilm", "openai"}
    s = Settings(data_dir=tmp_path, embed_base_url="http://127.0.0.1:9/v1/", embed_model="m")  # type: ignore[call-arg]
    for name in names:
        # What qa serve checks the store against, without a model load or a request, is what the built one says.
        assert emb.create_embedder(s, name).model_id == emb.embedder_identity(s, name)
    assert emb.embedder_identity(s, "openai") == "openai:m@http://127.0.0.1:9/v1"
    assert emb.embedder_identity(s) == emb.LEGACY_IDENTITY == MiniLMEmbedder.model_id


class _Item:
    def __init__(self, index: int, embedding: list[float]) -> None:
        self.index, self.embedding = index, embedding


class _Reply:
    def __init__(self, data: list[_Item]) -> None:
        self.data = data


class ScriptedEmbeddings:
    """Stands in for ``OpenAI().embeddings``: answers with hash vectors, rows in reverse order
    (the index field, not the order, says which is which), or raises what it is told to."""

    def __init__(self, dim: int = 8, fail: Exception | None = None) -> None:
        self.dim, self.fail = dim, fail
        self.requests: list[dict[str, object]] = []

    def create(self, **kw: object) -> _Reply:
        self.requests.append(kw)
        if self.fail is not None:
            raise self.fail
        texts = list(kw["input"])  # type: ignore[call-overload]
        vecs = HashingEmbedder(self.dim).embed(texts) * 3.0  # not unit length: the embedder normalises
        return _Reply([_Item(i, vecs[i].tolist()) for i in reversed(range(len(texts)))])


class ScriptedClient:
    def __init__(self, embeddings: ScriptedEmbeddings) -> None:
        self.embeddings = embeddings


def test_openai_embedder_batches_keeps_order_and_normalises() -> None:
    fake = ScriptedEmbeddings(dim=8)
    e = emb.OpenAIEmbedder("http://x.test/v1", "m", batch_size=2, client=ScriptedClient(fake))  # type: ignore[arg-type]
    texts = ["alpha beta", "gamma", "", "delta epsilon", "zeta"]
    out = e.embed(texts)
    assert out.shape == (5, 8) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out, HashingEmbedder(8).embed([*texts[:2], " ", *texts[3:]]), rtol=1e-5)
    assert [len(r["input"]) for r in fake.requests] == [2, 2, 1]  # type: ignore[arg-type]
    assert fake.requests[1]["input"] == [" ", "delta epsilon"]  # never an empty input
    assert {r["model"] for r in fake.requests} == {"m"} and fake.requests[0]["encoding_format"] == "float"
    assert e.dim == 8 and len(fake.requests) == 3  # learnt from the replies: no extra request


def test_openai_embedder_learns_its_dimension_with_one_request() -> None:
    fake = ScriptedEmbeddings(dim=5)
    e = emb.OpenAIEmbedder("http://x.test/v1", "m", client=ScriptedClient(fake))  # type: ignore[arg-type]
    assert e.embed([]).shape == (0, 5) and e.dim == 5 and len(fake.requests) == 1


def test_openai_endpoint_errors_are_one_line_naming_the_endpoint() -> None:
    import httpx
    import openai

    from qa.errors import EmbeddingEndpointError

    request = httpx.Request("POST", "http://x.test/v1/embeddings")
    fake = ScriptedEmbeddings(fail=openai.APIConnectionError(message="Connection\nrefused", request=request))
    e = emb.OpenAIEmbedder("http://x.test/v1", "m", client=ScriptedClient(fake))  # type: ignore[arg-type]
    with pytest.raises(EmbeddingEndpointError) as info:
        e.embed(["a"])
    assert "http://x.test/v1" in str(info.value) and "\n" not in str(info.value)


def test_a_real_client_times_out_and_retries_as_configured() -> None:
    """Through the real SDK, to a port nobody listens on: the settings reach it, and it gives up."""
    from qa.errors import EmbeddingEndpointError
    from qa.testing.process import free_port

    e = emb.OpenAIEmbedder(f"http://127.0.0.1:{free_port()}/v1", "m", timeout_s=2.0, max_retries=1)
    client = e._client
    assert client.timeout == 2.0 and client.max_retries == 1
    with pytest.raises(EmbeddingEndpointError, match="failed: Connection error"):
        e.embed(["a"])


def test_cache_asks_a_lazy_inner_embedder_for_its_dimension_only_when_needed(tmp_path: Path) -> None:
    fake = ScriptedEmbeddings(dim=6)
    inner = emb.OpenAIEmbedder("http://x.test/v1", "m", client=ScriptedClient(fake))  # type: ignore[arg-type]
    cached = CachedEmbedder(inner, tmp_path / "c.sqlite")
    assert fake.requests == []  # building the service makes no request
    assert cached.embed(["a b"]).shape == (1, 6) and cached.dim == 6 and len(fake.requests) == 1
    cached.close()
