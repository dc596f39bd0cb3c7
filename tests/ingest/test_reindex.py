"""`qa reindex`: every chunk re-embedded into a new collection, reads served from the old vectors
until one record switches them, resumable after a crash, and writes made meanwhile carried over.

Run against embedded Chroma and a real Chroma server; the embedders are deterministic hash fakes
of different identities (the real endpoint is tests/test_embeddings_server.py's).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import HashingEmbedder
from qa.errors import EmbedderMismatch
from qa.ingest.reindex import reindex
from qa.models import Article
from qa.services import Services, reindex_store
from qa.store.chroma import ChromaStore, open_store
from qa.store.protocol import EmbedderRecord

TOPICS = ["harbor bridge", "wildfire evacuation", "tariff vote", "orchestra festival", "satellite launch"]


def article(i: int, topic: str) -> Article:
    text = " ".join(f"Sentence {j} of the {topic} story says the {topic} matters for reason {j}." for j in range(12))
    return Article(id=f"s{i}", title=f"The {topic} story", text=text, source="Wire")


ARTICLES = [article(i, t) for i, t in enumerate(TOPICS)]


class Counting(HashingEmbedder):
    """Another embedder than the store's (its own identity and dimension) that counts what it embeds."""

    def __init__(self, dim: int = 48) -> None:
        super().__init__(dim)
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return super().embed(texts)


class Stop(Exception):
    """Raised from the after-batch hook: the run stops there as a crash would."""


@pytest.fixture
def old(settings: Settings) -> Services:
    """A store written by the hashing-64 embedder, in small chunks so a reindex takes several batches."""
    svc = Services.from_settings(settings.model_copy(update={"chunk_size": 200, "chunk_overlap": 0}), HashingEmbedder())
    report = svc.ingestor.ingest(ARTICLES)
    assert len(report.added) == 5 and report.chunks >= 20
    return svc


def top(svc: Services, query: str) -> str:
    return svc.retriever.search(query, k=1, mode="dense")[0].article.id


def collections(store: ChromaStore) -> set[str]:
    """This store's collections (tests share one Chroma server, each with its own prefix)."""
    return {c.name for c in store._client.list_collections() if c.name.startswith(f"{store._prefix}_")}


def test_reindex_switches_to_the_new_vectors_and_drops_the_old(settings: Settings, old: Services) -> None:
    n = old.store.count_chunks()
    store = open_store(settings)
    before = store.live_chunks()
    new = Counting()
    seen: list[tuple[int, int]] = []
    report = reindex(store, new, batch_size=4, progress=lambda done, total: seen.append((done, total)))
    assert report.switched and report.embedded == n == len(new.texts) and report.resumed == 0
    assert (report.identity, report.previous, report.dim) == ("hashing-48", "hashing-64", 48)
    assert seen[0] == (0, n) and seen[-1] == (n, n)
    assert store.embedder_record() == EmbedderRecord("hashing-48", 48)
    assert before not in collections(store) and store.live_chunks() in collections(store)
    assert open_store(settings).embedder_record() == EmbedderRecord("hashing-48", 48)

    served = Services.from_settings(settings, HashingEmbedder(48))
    assert top(served, "wildfire evacuation") == "s1" and served.store.count_chunks() == n
    # A process still on the old embedder follows the switch and refuses, in one line, not a Chroma error.
    with pytest.raises(EmbedderMismatch, match=r"hashing-48 \(48 dims\).*hashing-64"):
        old.retriever.search("tariff vote", k=1, mode="dense")
    with pytest.raises(EmbedderMismatch):
        Services.from_settings(settings, HashingEmbedder())
    again = reindex(open_store(settings), Counting())
    assert not again.switched and again.identity == "hashing-48"


def test_reads_use_the_old_vectors_until_the_switch(settings: Settings, old: Services) -> None:
    during: list[tuple[str, str]] = []

    def read(batches: int) -> None:
        during.append((top(old, "satellite launch"), old.store.embedder_record().identity))  # type: ignore[union-attr]

    reindex_store(settings, Counting(), batch_size=5, after_batch=read)
    assert len(during) >= 4 and set(during) == {("s4", "hashing-64")}


def test_an_interrupted_reindex_resumes_without_embedding_anything_twice(settings: Settings, old: Services) -> None:
    n = old.store.count_chunks()
    first = Counting()

    def crash(batches: int) -> None:
        if batches == 2:
            raise Stop

    with pytest.raises(Stop):
        reindex_store(settings, first, batch_size=3, after_batch=crash)
    assert len(first.texts) == 6
    # Nothing switched: the store is still the old embedder's, and serves.
    assert open_store(settings).embedder_record() == EmbedderRecord("hashing-64", 64)
    assert top(Services.from_settings(settings, HashingEmbedder()), "harbor bridge") == "s0"

    second = Counting()
    report = reindex_store(settings, second, batch_size=3)
    assert report.switched and report.resumed == 6 and report.embedded == n - 6
    assert sorted(first.texts + second.texts) == sorted(set(first.texts + second.texts))  # none embedded twice
    assert top(Services.from_settings(settings, HashingEmbedder(48)), "orchestra festival") == "s3"


def test_a_run_for_another_embedder_discards_the_unfinished_one(settings: Settings, old: Services) -> None:
    def crash(batches: int) -> None:
        raise Stop

    store = open_store(settings)
    n = store.count_chunks()
    with pytest.raises(Stop):
        reindex(store, Counting(48), batch_size=3, after_batch=crash)
    abandoned = {c for c in collections(store) if "_chunks_" in c}
    assert len(abandoned) == 1
    report = reindex(store, Counting(32), batch_size=50)
    assert report.resumed == 0 and report.embedded == n and report.dim == 32
    with pytest.raises(EmbedderMismatch):  # any read of a process on the old embedder, once switched
        old.store.count_chunks()
    assert not abandoned & collections(store)


def test_writes_made_during_the_reindex_are_carried_over(settings: Settings, old: Services) -> None:
    late = article(9, "ceasefire border")

    def write(batches: int) -> None:
        if batches == 1:  # through the old embedder, as a server still running on it would
            old.ingestor.ingest([late])
            old.ingestor.delete("s2")

    reindex_store(settings, Counting(), batch_size=4, after_batch=write)
    served = Services.from_settings(settings, HashingEmbedder(48))
    assert top(served, "ceasefire border") == "s9"
    assert served.store.get_article("s2") is None
    committed = {rec.chunk.id for a in served.store.list_articles() for rec in served.store.article_chunks(a.id)}
    assert set(served.store.chunk_ids()) == committed  # nothing of s2 carried over, nothing missing


def test_a_write_that_raced_the_switch_is_copied_by_the_next_run(
    settings: Settings, old: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = open_store(settings)  # a writer in another process, opened before the switch
    new = Counting()
    # The run stops between its switch and dropping the old vectors.
    monkeypatch.setattr(ChromaStore, "finish_reindex", lambda self: (_ for _ in ()).throw(Stop()))
    with pytest.raises(Stop):
        reindex_store(settings, new, batch_size=50)
    monkeypatch.undo()
    # That writer checked the store's embedder just before the switch, and writes just after it.
    monkeypatch.setattr(stale, "_check_write", lambda embeddings: None)
    from qa.ingest.chunking import chunk_article
    from qa.models import embedding_text

    late = article(7, "pipeline treaty")
    chunks = chunk_article(late, 200, 0)
    stale.upsert_article(late, chunks, HashingEmbedder().embed([embedding_text(late.title, c.text) for c in chunks]))

    retired = open_store(settings).retired_chunks()
    assert retired is not None
    report = reindex_store(settings, new)
    assert not report.switched  # nothing left to re-embed, but the late write was copied over
    served = Services.from_settings(settings, HashingEmbedder(48))
    assert top(served, "pipeline treaty") == "s7"
    assert retired not in collections(served.store)  # type: ignore[arg-type]


def test_a_rebuild_copies_the_stored_vectors_into_a_fresh_index(settings: Settings, old: Services) -> None:
    """`qa reindex --rebuild`: the same embedder, nothing embedded; only the live chunks move to a
    new collection (Chroma's index keeps the room of every replaced chunk), and search is as before."""
    for rounds in range(3):  # updates leave replaced chunks behind in the index
        old.ingestor.ingest([article(i, f"{t} update {rounds}") for i, t in enumerate(TOPICS)])
    n = old.store.count_chunks()
    store = open_store(settings)
    before = store.live_chunks()
    folders = index_folders(settings)
    same = Counting(64)  # the store's own embedder
    assert not reindex(store, same).switched  # without --rebuild there is nothing to do
    report = reindex(store, same, batch_size=4, rebuild=True)
    assert report.switched and report.copied == n and report.embedded == 0 and same.texts == []
    assert (report.identity, report.previous, report.dim) == ("hashing-64", "hashing-64", 64)
    assert store.live_chunks() != before and before not in collections(store)
    served = Services.from_settings(settings, HashingEmbedder())
    assert served.store.count_chunks() == n and top(served, "wildfire evacuation update 2") == "s1"
    if settings.embedded():  # the dropped index's folder goes too (Chroma itself leaves it on disk)
        persist = settings.data_dir / "chroma"
        with sqlite3.connect(persist / "chroma.sqlite3") as db:
            known = {str(r[0]) for r in db.execute("SELECT id FROM segments")}
        assert folders - known and index_folders(settings) <= known, (folders, known)


def index_folders(settings: Settings) -> set[str]:
    persist = settings.data_dir / "chroma"
    return {p.name for p in persist.iterdir() if p.is_dir()} if settings.embedded() else set()
