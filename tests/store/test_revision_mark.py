"""The embedded store mirrors its revision in a file after every write, and never leaves a stale one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.store import revision_mark
from qa.store.chroma import ChromaStore, open_store
from qa.testing.store_contract import art, put


def test_every_write_leaves_the_store_revision_in_the_mark(
    embedded_settings: Settings, hashing_embedder: Embedder
) -> None:
    store = open_store(embedded_settings)
    mark = revision_mark.path_for(embedded_settings.data_dir)
    assert revision_mark.read(mark) is None  # nothing written yet: readers ask the store
    put(store, hashing_embedder, art(1))
    first = revision_mark.read(mark)
    assert first is not None and first == store.revision()
    store.delete_article("a1")
    assert revision_mark.read(mark) == store.revision() != first


def test_a_failed_write_leaves_no_mark(
    embedded_settings: Settings, hashing_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(embedded_settings)
    put(store, hashing_embedder, art(1))
    mark = revision_mark.path_for(embedded_settings.data_dir)
    assert mark.exists()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store._articles, "upsert", broken)
    monkeypatch.setattr(store, "revision", broken)  # and the store cannot even say where it is
    with pytest.raises(RuntimeError):
        put(store, hashing_embedder, art(2))
    assert not mark.exists()  # unknown, not stale: the next reader opens the store


def test_only_the_embedded_store_keeps_a_mark(tmp_path: Path, hashing_embedder: Embedder) -> None:
    import chromadb

    store = ChromaStore(chromadb.EphemeralClient(), prefix=f"t{tmp_path.name[-6:]}")
    put(store, hashing_embedder, art(1))
    assert not list(tmp_path.iterdir())
