from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.services import Services
from tests.conftest import seeded_copy


@pytest.fixture
def client(seeded_settings: Settings, minilm: Embedder) -> Iterator[TestClient]:
    """The real app on its own copy of an embedded store seeded with seeds/."""
    services = Services.from_settings(seeded_settings, embedder=minilm)
    with TestClient(create_app(seeded_settings, services)) as c:
        yield c


@pytest.fixture(scope="module")
def shared_client(
    tmp_path_factory: pytest.TempPathFactory, seeded_data_dir: Path, minilm: Embedder
) -> Iterator[TestClient]:
    """One app for a whole module whose tests only read (ask, search, summarize, briefings): they
    cannot change what another test sees, so they need no store of their own."""
    settings = seeded_copy(seeded_data_dir, tmp_path_factory.mktemp("shared-client"))
    services = Services.from_settings(settings, embedder=minilm)
    with TestClient(create_app(settings, services)) as c:
        yield c
