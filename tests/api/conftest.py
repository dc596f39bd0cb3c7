from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.services import Services


@pytest.fixture
def client(embedded_settings: Settings, minilm: Embedder) -> Iterator[TestClient]:
    """The real app on an embedded store seeded with seeds/ (the first-start path)."""
    services = Services.from_settings(embedded_settings, embedder=minilm)
    with TestClient(create_app(embedded_settings, services)) as c:
        yield c
