"""The store contracts (:mod:`qa.testing.store_contract`) on embedded Chroma and a real Chroma server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.config import Settings
from qa.store.chroma import open_store
from qa.store.protocol import DocumentStore
from qa.testing.chroma_server import ChromaServer
from qa.testing.store_contract import DocumentStoreContract, ReindexableContract


def _settings(tmp_path: Path, chroma_url: str | None = None) -> Settings:
    # A fresh prefix isolates tests sharing the session's Chroma server.
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return Settings(data_dir=tmp_path / "data", collection_prefix=prefix, chroma_url=chroma_url)


class ChromaContract(DocumentStoreContract, ReindexableContract):
    """The contract on :func:`open_store` with the ``chroma_settings`` a subclass gives."""

    @pytest.fixture
    def store(self, chroma_settings: Settings) -> DocumentStore:
        return open_store(chroma_settings)

    @pytest.fixture
    def reopen(self, chroma_settings: Settings) -> Callable[[], DocumentStore]:
        return lambda: open_store(chroma_settings)


class TestEmbeddedChroma(ChromaContract):
    @pytest.fixture
    def chroma_settings(self, tmp_path: Path) -> Settings:
        return _settings(tmp_path)


@pytest.mark.chroma_server
class TestChromaServer(ChromaContract):
    @pytest.fixture
    def chroma_settings(self, tmp_path: Path, chroma_server: ChromaServer) -> Settings:
        return _settings(tmp_path, chroma_server.url)
