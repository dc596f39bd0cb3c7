"""Shared fixtures. Tests never touch the network: stores are embedded or a local `chroma run`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import Embedder, HashingEmbedder, MiniLMEmbedder
from qa.testing.chroma_server import ChromaServer, start_chroma_server

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The real offline embedder, loaded once per test session."""
    return MiniLMEmbedder()


@pytest.fixture
def hashing_embedder() -> Embedder:
    return HashingEmbedder(dim=64)


@pytest.fixture(params=["embedded", "server"])
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
