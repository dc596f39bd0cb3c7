"""The on-disk (tantivy) lexical index: incremental, persistent, shared, committed versions only,
filters in SQL. Against a real store, in both store modes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.lexical_disk import DiskIndex
from qa.models import Article, SearchFilters
from qa.services import Services
from qa.store.protocol import ChunkRecord, DocumentStore

ARTICLES = [
    Article(
        id="okapi",
        title="Zoo welcomes an okapi calf",
        source="AP",
        published=date(2025, 7, 1),
        text="The city zoo welcomed an okapi calf on Monday, keepers said.",
    ),
    Article(
        id="flood",
        title="River floods the old town",
        source="Metro",
        published=date(2025, 7, 2),
        text="The river flooded the old town and hundreds of residents left their homes.",
    ),
    Article(
        id="budget",
        title="Council passes budget",
        source="AP",
        published=date(2025, 7, 3),
        text="The council passed a budget of 3.5 million dollars for the okapi enclosure and parks.",
    ),
]


class Counting:
    """A store that counts which articles' chunks are read: the cost of a sync."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self.read: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def articles_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]:
        self.read.extend(article_ids)
        return self.store.articles_chunks(article_ids)


@pytest.fixture
def services(settings: Settings, hashing_embedder: Embedder) -> Services:
    s = Services.from_settings(settings, embedder=hashing_embedder)
    s.ingestor.ingest(ARTICLES)
    return s


def ids(found: Sequence[tuple[ChunkRecord, float]]) -> list[str]:
    return [r.chunk.article_id for r, _ in found]


def test_a_write_costs_the_articles_written_not_the_corpus(services: Services, tmp_path: Path) -> None:
    store = Counting(services.store)
    index = DiskIndex(tmp_path / "lexical")
    index.sync(store)  # type: ignore[arg-type]
    assert sorted(store.read) == ["budget", "flood", "okapi"] and len(index) == 3
    assert ids(index.search("okapi calf", 5))[0] == "okapi"
    store.read.clear()
    services.ingestor.ingest([ARTICLES[1].model_copy(update={"text": "The river flooded the old town again."})])
    services.ingestor.ingest([Article(id="new", title="Okapi twins born", text="Two okapi calves were born.")])
    index.sync(store)  # type: ignore[arg-type]
    assert sorted(store.read) == ["flood", "new"]  # the changed and the new article, nothing else
    assert "again" in index.search("flooded town", 1)[0][0].chunk.text
    services.store.delete_article("okapi")
    index.sync(store)  # type: ignore[arg-type]
    assert "okapi" not in ids(index.search("okapi", 10)) and "new" in ids(index.search("okapi", 10))


def test_the_index_persists_and_is_shared_by_processes(services: Services, tmp_path: Path) -> None:
    DiskIndex(tmp_path / "lexical").sync(services.store)
    store = Counting(services.store)
    again = DiskIndex(tmp_path / "lexical")  # a restart, or another worker on the host
    again.sync(store)  # type: ignore[arg-type]
    assert store.read == [] and ids(again.search("okapi calf", 1)) == ["okapi"]


def test_only_committed_versions_are_indexed(services: Services, tmp_path: Path) -> None:
    class HalfWritten(Counting):
        """The store as seen while 'flood' is being rewritten: its chunks are a newer version."""

        def articles_chunks(self, article_ids: Sequence[str]) -> dict[str, list[ChunkRecord]]:
            found = self.store.articles_chunks(article_ids)
            if "flood" in found:  # its chunks are a newer version than the one the store committed
                found["flood"] = [
                    ChunkRecord(r.chunk, "uncommitted", r.title, r.source, r.published_day) for r in found["flood"]
                ]
            return found

    index = DiskIndex(tmp_path / "lexical")
    index.sync(HalfWritten(services.store))  # type: ignore[arg-type]
    assert "flood" not in ids(index.search("river flooded", 5))


def test_filters_are_evaluated_in_the_index(services: Services, tmp_path: Path) -> None:
    index = DiskIndex(tmp_path / "lexical")
    index.sync(services.store)
    assert sorted(ids(index.search("okapi", 5))) == ["budget", "okapi"]
    assert ids(index.search("okapi", 5, SearchFilters(source=["Metro"]))) == []
    assert ids(index.search("okapi", 5, SearchFilters(since=date(2025, 7, 2)))) == ["budget"]
    assert ids(index.search("okapi", 5, SearchFilters(until=date(2025, 7, 1)))) == ["okapi"]
    assert ids(index.search("3.5 million", 1)) == ["budget"]  # "3.5" is one token
    assert index.search("", 5) == [] and index.search("zebra", 5) == []
