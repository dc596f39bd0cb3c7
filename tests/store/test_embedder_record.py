"""The store records which embedder made its vectors, and refuses to be searched with another one.

Run against embedded Chroma and a real Chroma server (the ``settings`` fixture's two modes).
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import LEGACY_DIM, LEGACY_IDENTITY, HashingEmbedder
from qa.errors import EmbedderMismatch
from qa.ingest.chunking import chunk_article
from qa.services import Services
from qa.store.chroma import open_store
from qa.store.protocol import EmbedderRecord
from qa.testing.store_contract import art, put


def test_the_first_write_records_the_embedder_and_its_dimension(settings: Settings) -> None:
    store = open_store(settings)
    store.bind_embedder("hashing-64")
    assert store.embedder_record() is None  # bound but empty: nothing recorded yet
    put(store, HashingEmbedder(64), art(1))
    assert store.embedder_record() == EmbedderRecord("hashing-64", 64)
    assert open_store(settings).embedder_record() == EmbedderRecord("hashing-64", 64)  # another process's view


def test_another_embedder_is_refused_with_one_line_naming_both_and_the_fix(settings: Settings) -> None:
    store = open_store(settings)
    store.bind_embedder("hashing-64")
    put(store, HashingEmbedder(64), art(1))
    with pytest.raises(EmbedderMismatch) as info:
        open_store(settings).bind_embedder("openai:nomic-embed@http://127.0.0.1:8080/v1")
    message = str(info.value)
    assert "\n" not in message
    assert "hashing-64 (64 dims)" in message and "openai:nomic-embed@http://127.0.0.1:8080/v1" in message
    assert "run `qa reindex`" in message
    open_store(settings).bind_embedder("hashing-64")  # the same one is fine


def test_services_refuse_at_start(settings: Settings) -> None:
    Services.from_settings(settings, embedder=HashingEmbedder(64)).ingestor.ingest([art(1)])
    with pytest.raises(EmbedderMismatch, match=r"hashing-64 \(64 dims\).*hashing-32"):
        Services.from_settings(settings, embedder=HashingEmbedder(32))


def test_an_empty_store_takes_any_embedder(settings: Settings) -> None:
    open_store(settings).bind_embedder("hashing-64")
    store = open_store(settings)
    store.bind_embedder("hashing-32")
    put(store, HashingEmbedder(32), art(1))
    assert store.embedder_record() == EmbedderRecord("hashing-32", 32)


def test_a_store_from_before_the_record_counts_as_the_default_minilm(settings: Settings) -> None:
    old = open_store(settings)  # unbound: writes as the code before this record did, recording nothing
    put(old, HashingEmbedder(LEGACY_DIM), art(1))
    store = open_store(settings)
    assert store.embedder_record() == EmbedderRecord(LEGACY_IDENTITY, LEGACY_DIM)
    with pytest.raises(EmbedderMismatch, match="all-MiniLM-L6-v2-int8"):
        store.bind_embedder("hashing-64")
    store.bind_embedder(LEGACY_IDENTITY)  # old data dirs keep working with the default
    put(store, HashingEmbedder(LEGACY_DIM), art(2))
    assert open_store(settings).embedder_record() == EmbedderRecord(LEGACY_IDENTITY, LEGACY_DIM)


def test_vectors_of_another_dimension_are_refused(settings: Settings) -> None:
    store = open_store(settings)
    store.bind_embedder("hashing-64")
    put(store, HashingEmbedder(64), art(1))
    a = art(2)
    chunks = chunk_article(a)
    with pytest.raises(EmbedderMismatch, match="32 dims cannot join the store's 64-dim vectors"):
        store.upsert_article(a, chunks, np.ones((len(chunks), 32), dtype=np.float32))
    assert store.get_article("a2") is None
