"""The contract of each document-store capability (:mod:`qa.store.protocol`), as pytest mixins.

A store's test module subclasses the mixins of the capabilities it has (``DocumentStoreContract``
for all three the service needs, ``ReindexableContract`` for ``qa reindex``) and gives two
fixtures: ``store`` (a fresh, empty store) and ``reopen`` (another handle on the same data, as a
second process would open it). ``tests/store/test_contract.py`` runs them against embedded
Chroma and a real Chroma server; another package imports them from here for its own store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from qa.embeddings import Embedder, HashingEmbedder
from qa.ingest.chunking import chunk_article
from qa.models import Article, Chunk, SearchFilters, embedding_text
from qa.store.health import SAMPLE, self_retrieval
from qa.store.protocol import DocumentStore, EmbedderRecord, ReindexableStore

EDT = timezone(timedelta(hours=-4))


def art(i: int, text: str | None = None, **kw: object) -> Article:
    fields: dict[str, object] = {
        "id": f"a{i}",
        "title": f"Story number {i}",
        "text": text or f"Sentence one of story {i} about topic{i}. Another sentence on topic{i} here.",
        "source": "Outlet A" if i % 2 else "Outlet B",
        "published": date(2025, 7, i),
        "authors": [f"Writer {i}"],
    }
    fields.update(kw)
    return Article.model_validate(fields)


def put(store: DocumentStore, emb: Embedder, a: Article, size: int = 1000) -> list[str]:
    chunks = chunk_article(a, size=size, overlap=0)
    store.upsert_article(a, chunks, emb.embed([embedding_text(a.title, c.text) for c in chunks]))
    return [c.id for c in chunks]


class StoreFixtures:
    """The fixtures a store's test class gives (and the embedder the contract writes with). No
    class here is collected itself (no ``Test`` prefix): subclass them."""

    @pytest.fixture
    def store(self) -> DocumentStore:
        """A fresh, empty store."""
        raise NotImplementedError

    @pytest.fixture
    def reopen(self) -> Callable[[], DocumentStore]:
        """Opens another handle on the data of ``store``, as another process would."""
        raise NotImplementedError

    @pytest.fixture
    def hashing_embedder(self) -> Embedder:
        return HashingEmbedder(dim=64)


class ArticleStoreContract(StoreFixtures):
    """Articles written whole, read back as written, listed, deleted and repaired."""

    def test_roundtrip_keeps_every_field(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        a = art(1, published=datetime(2025, 7, 1, 16, 30, tzinfo=EDT), url="https://x.test/1")
        b = art(2, published=None, source=None, authors=[])
        put(store, hashing_embedder, a)
        put(store, hashing_embedder, b)
        assert store.get_article("a1") == a
        assert store.get_article("a2") == b
        assert store.get_article("missing") is None
        assert store.count_articles() == 2
        assert store.article_versions() == {"a1": a.version, "a2": b.version}
        _, since = store.changes_since(0)
        put(store, hashing_embedder, art(3))
        store.delete_article("a2")
        changes, latest = store.changes_since(since + 1)  # only what happened after: a write, a delete
        assert changes == [("a3", store.article_versions()["a3"]), ("a2", None)] and latest > since
        put(store, hashing_embedder, b)  # deleted, then written again: it stands
        assert dict(store.changes_since(since + 1)[0])["a2"] == b.version
        metas = store.article_metas(["a2", "missing", "a1", "a2"])  # by id: what exists, once each
        assert {k: v for k, (_, v) in metas.items()} == {"a1": a.version, "a2": b.version}
        assert metas["a1"][0].title == a.title and metas["a1"][0].published == a.published

    def test_update_replaces_chunks(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        long_text = " ".join(f"Sentence {n} of the first version." for n in range(60))
        old_ids = put(store, hashing_embedder, art(1, text=long_text), size=200)
        assert store.count_chunks() == len(old_ids) > 3
        new = art(1, text="Only one short sentence now.")
        new_ids = put(store, hashing_embedder, new, size=200)
        assert store.get_article("a1") == new
        assert set(store.chunk_ids()) == set(new_ids)
        assert not set(old_ids) & set(new_ids)

    def test_delete_removes_article_and_chunks(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        put(store, hashing_embedder, art(1))
        put(store, hashing_embedder, art(2))
        assert store.delete_article("a1") is True
        assert store.delete_article("a1") is False
        assert store.get_article("a1") is None
        assert all(r.chunk.article_id == "a2" for r in store.iter_chunks())
        hits = store.dense_search(hashing_embedder.embed(["topic1"])[0], 10)
        assert {r.chunk.article_id for r, _ in hits} == {"a2"}

    def test_list_articles_filters_sorts_pages(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        for i in (3, 1, 2):
            put(store, hashing_embedder, art(i))
        put(store, hashing_embedder, art(4, published=None))
        ids = [m.id for m in store.list_articles()]
        assert ids == ["a3", "a2", "a1", "a4"]  # newest first, undated last
        assert [m.id for m in store.list_articles(limit=2, offset=1)] == ["a2", "a1"]
        assert [m.id for m in store.list_articles(SearchFilters(source=["Outlet A"]))] == ["a3", "a1"]
        since = SearchFilters(since=date(2025, 7, 2))
        assert [m.id for m in store.list_articles(since)] == ["a3", "a2"]
        assert [m.id for m in store.list_articles(limit=None, offset=2)] == ["a1", "a4"]  # None: all
        assert store.count_articles() == 4
        assert store.count_articles(since) == 2 and store.count_articles(SearchFilters(source="Outlet B")) == 2
        assert store.count_articles(SearchFilters(until=date(2025, 6, 30))) == 0

    def test_interrupted_write_is_invisible_and_repaired(
        self, store: DocumentStore, hashing_embedder: Embedder
    ) -> None:
        """A write that dies after the chunks but before the commit leaves the old article intact."""
        put(store, hashing_embedder, art(1))
        before = store.get_article("a1")
        changed = art(1, text="A different text mentioning zebras only.")
        chunks = chunk_article(changed)
        vecs = hashing_embedder.embed([c.text for c in chunks])

        def crash(article: Article) -> None:
            raise RuntimeError("killed")

        store.before_commit = crash  # the store's test hook: between the chunks and the commit
        with pytest.raises(RuntimeError):
            store.upsert_article(changed, chunks, vecs)
        store.before_commit = None

        assert store.get_article("a1") == before
        hits = store.dense_search(hashing_embedder.embed(["zebras"])[0], 10)
        assert all(r.version == before.version for r, _ in hits)  # type: ignore[union-attr]
        assert store.repair() == len(chunks)
        assert store.repair() == 0
        assert all(r.version == before.version for r in store.iter_chunks())  # type: ignore[union-attr]

    def test_many_articles_in_one_write_each_commit_whole(
        self, store: DocumentStore, hashing_embedder: Embedder
    ) -> None:
        """upsert_articles: one call for a batch; a new version replaces its old chunks, the last
        of one id in a batch wins, and a crash before the commit shows none of them."""

        def item(a: Article) -> tuple[Article, list[Chunk], np.ndarray]:
            chunks = chunk_article(a, size=200, overlap=0)
            return a, chunks, hashing_embedder.embed([embedding_text(a.title, c.text) for c in chunks])

        put(store, hashing_embedder, art(1))
        old = store.get_article("a1")
        newer = art(1, text="Rewritten: the story now mentions walruses. " * 8)
        store.upsert_articles([item(newer), item(art(2)), item(art(3, text="Draft. " * 30)), item(art(3))])
        assert store.count_articles() == 3
        assert store.get_article("a1") == newer and old != newer
        assert store.get_article("a3") == art(3)
        assert {r.version for r in store.article_chunks("a1")} == {newer.version}
        assert {r.version for r in store.article_chunks("a3")} == {art(3).version}

        def crash(article: Article) -> None:
            raise RuntimeError("killed")

        store.before_commit = crash
        with pytest.raises(RuntimeError):
            store.upsert_articles([item(art(4)), item(art(5))])
        store.before_commit = None
        assert store.count_articles() == 3 and store.get_article("a4") is None
        assert {r.chunk.article_id for r in store.iter_chunks()} >= {"a4", "a5"}  # written, not committed
        assert store.repair() > 0
        assert {r.chunk.article_id for r in store.iter_chunks()} == {"a1", "a2", "a3"}

    def test_mismatched_embeddings_write_nothing(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        a = art(1)
        with pytest.raises(ValueError):
            store.upsert_article(a, chunk_article(a), np.zeros((0, 64), dtype=np.float32))
        assert store.count_articles() == 0 and store.count_chunks() == 0


class ChunkStoreContract(StoreFixtures):
    """Chunks read by id and article, and searched by vector, also while another handle writes."""

    def test_dense_search_ranks_and_filters(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        for i in range(1, 7):
            put(store, hashing_embedder, art(i))
        put(store, hashing_embedder, art(7, published=None))
        q = hashing_embedder.embed(["story 3 about topic3"])[0]
        hits = store.dense_search(q, 3)
        assert hits[0][0].chunk.article_id == "a3"
        assert hits[0][1] >= hits[-1][1]

        only_a = store.dense_search(q, 10, SearchFilters(source="Outlet A"))
        assert {r.source for r, _ in only_a} == {"Outlet A"}
        window = store.dense_search(q, 10, SearchFilters(since=date(2025, 7, 2), until=date(2025, 7, 4)))
        assert {r.chunk.article_id for r, _ in window} == {"a2", "a3", "a4"}  # undated a7 is out

    def test_neighbours_and_stored_vectors(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        """What the flood guard and the self-retrieval figure read: a batch's nearest chunks with
        their articles, and the vectors a chunk was stored with."""
        assert store.neighbours(hashing_embedder.embed(["anything"]), 3) == [[]]  # empty store
        put(store, hashing_embedder, art(1))
        put(store, hashing_embedder, art(2, text="A different text mentioning zebras only."))
        ids = store.chunk_ids()
        vectors = store.chunk_embeddings([*ids, "missing"])
        assert sorted(vectors) == sorted(ids)
        found = store.neighbours(np.stack([vectors[i] for i in ids]), 2)
        assert len(found) == len(ids)
        for cid, near in zip(ids, found, strict=True):
            assert near[0][0] == cid and near[0][2] == pytest.approx(1.0, abs=1e-4)  # itself first
            assert near[0][1] in {"a1", "a2"} and [s for *_, s in near] == sorted((s for *_, s in near), reverse=True)
        assert store.neighbours(np.empty((0, 64), dtype=np.float32), 2) == []

    def test_self_retrieval_is_whole_until_a_flood_of_copies(
        self, store: DocumentStore, hashing_embedder: Embedder
    ) -> None:
        """The health figure: every chunk of distinct articles finds itself; written past the
        ingest guard, 60 copies of one text crowd each other out of their own neighbourhoods."""
        assert self_retrieval(store).sampled == 0 and self_retrieval(store).healthy  # empty
        for i in range(1, 11):
            put(store, hashing_embedder, art(i))
        sound = self_retrieval(store)
        assert sound.sampled == 10 and sound.found == 10 and sound.healthy
        for i in range(60):
            put(store, hashing_embedder, art(20 + i % 10, id=f"copy{i}", text="The same words, sent sixty times."))
        flooded = self_retrieval(store)
        assert flooded.sampled == SAMPLE and not flooded.healthy, flooded

    def test_chunk_reads(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        ids = put(store, hashing_embedder, art(1))
        recs = list(store.iter_chunks(ids))
        assert [r.chunk.id for r in recs] == ids
        a = store.get_article("a1")
        assert a is not None
        for r in recs:
            assert a.text[r.chunk.start : r.chunk.end] == r.chunk.text
            assert (r.title, r.source, r.published_day) == (a.title, a.source, 20250701)
        assert sorted(store.chunk_ids()) == sorted(ids)

    def test_articles_chunks_reads_many_articles_committed_versions_in_order(
        self, store: DocumentStore, hashing_embedder: Embedder
    ) -> None:
        long = " ".join(f"Sentence {n} says something about topic {n}." for n in range(40))
        first = put(store, hashing_embedder, art(1, text=long), size=200)
        put(store, hashing_embedder, art(2))
        changed = art(2, text="A rewrite that dies before its commit.")
        chunks = chunk_article(changed)

        def crash(article: Article) -> None:
            raise RuntimeError("killed")

        store.before_commit = crash
        with pytest.raises(RuntimeError):
            store.upsert_article(changed, chunks, hashing_embedder.embed([c.text for c in chunks]))
        store.before_commit = None

        found = store.articles_chunks(["a2", "missing", "a1", "a1"])
        assert sorted(found) == ["a1", "a2"]  # an article not stored is absent
        assert len(first) > 3 and [r.chunk.id for r in found["a1"]] == first  # reading order
        assert {r.version for r in found["a2"]} == {art(2).version}  # the committed version only
        assert found["a1"] == store.article_chunks("a1") and store.article_chunks("missing") == []

    def test_reads_racing_another_process_rewriting_are_never_errors(
        self, reopen: Callable[[], DocumentStore], hashing_embedder: Embedder
    ) -> None:
        """A second store handle (as another API process has) keeps replacing versions of articles, so
        their old chunks are deleted while queries run; queries may miss those chunks, never fail."""
        import threading
        import time

        writer, reader = reopen(), reopen()
        for i in range(1, 4):
            put(writer, hashing_embedder, art(i, text=("A sentence about the harbor. " * 80)), size=200)
        stop = threading.Event()
        failures: list[BaseException] = []

        def rewrite() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                i = n % 3 + 1
                text = f"Version {n} of story {i}. " + "A sentence about the harbor. " * 80
                put(writer, hashing_embedder, art(i, text=text), size=200)

        thread = threading.Thread(target=rewrite)
        thread.start()
        query = hashing_embedder.embed(["the harbor"])[0]
        deadline = time.monotonic() + 4
        try:
            while time.monotonic() < deadline:
                try:
                    for rec, _ in reader.dense_search(query, 30):
                        assert rec.chunk.text
                    list(reader.iter_chunks(reader.chunk_ids()[:50]))
                except BaseException as exc:  # collected, so the writer is stopped before failing
                    failures.append(exc)
                    break
        finally:
            stop.set()
            thread.join(30)
        assert not failures, repr(failures[0])


class ChangeFeedContract(StoreFixtures):
    """What changed, for the processes that follow the store."""

    def test_revision_changes_on_every_write(self, store: DocumentStore, hashing_embedder: Embedder) -> None:
        r0 = store.revision()
        put(store, hashing_embedder, art(1))
        r1 = store.revision()
        store.delete_article("a1")
        assert len({r0, r1, store.revision()}) == 3


class DocumentStoreContract(ArticleStoreContract, ChunkStoreContract, ChangeFeedContract):
    """What every store the service runs on does."""


class ReindexableContract(StoreFixtures):
    """Moving a store's chunks to another embedder's vectors behind one switch (``qa reindex``)."""

    def test_chunks_move_to_new_vectors_behind_one_switch(
        self, store: ReindexableStore, hashing_embedder: Embedder
    ) -> None:
        store.bind_embedder(hashing_embedder.model_id)  # recorded by the first write
        ids = put(store, hashing_embedder, art(1)) + put(store, hashing_embedder, art(2))
        assert store.begin_reindex(hashing_embedder.model_id) is None  # nothing to do
        live = store.live_chunks()
        other = HashingEmbedder(dim=32)
        target = store.begin_reindex(other.model_id)
        assert target is not None and target != live
        texts = {r.chunk.id: embedding_text(r.title, r.chunk.text) for r in store.chunks_in(live, ids)}
        vectors = dict(zip(texts, other.embed(list(texts.values())), strict=True))
        assert store.copy_chunks(live, target, vectors) == len(ids) == len(store.chunk_ids_in(target))
        assert store.live_chunks() == live and store.dense_search(hashing_embedder.embed(["topic1"])[0], 1)
        # Until the switch a second run resumes the same collection; after it, reads use the new one.
        assert store.begin_reindex(other.model_id) == target
        assert store.switch_chunks(target, other.model_id, 32) == live
        assert store.live_chunks() == target and store.embedder_record() == EmbedderRecord(other.model_id, 32)
        assert store.retired_chunks() == live
        hits = store.dense_search(other.embed(["Story number 2 topic2"])[0], 1)
        assert hits and hits[0][0].chunk.article_id == "a2"
        assert set(store.vectors_in(target, ids)) == set(ids)
        store.finish_reindex()
        assert store.retired_chunks() is None and store.count_chunks() == len(ids)

    def test_replaced_chunks_are_counted_until_a_fresh_index(
        self, store: ReindexableStore, reopen: Callable[[], DocumentStore], hashing_embedder: Embedder
    ) -> None:
        """Chroma keeps a replaced chunk's room in its vector index: the store counts them, for
        every process to see, so that a rebuild can be run when they pile up."""
        store.bind_embedder(hashing_embedder.model_id)
        assert store.replaced_chunks() == 0
        long_text = " ".join(f"Sentence {n} of the first version." for n in range(60))
        first = put(store, hashing_embedder, art(1, text=long_text), size=200)
        put(store, hashing_embedder, art(2))
        assert store.replaced_chunks() == 0  # new articles replace nothing
        put(store, hashing_embedder, art(1, text="Only one short sentence now."), size=200)
        assert store.replaced_chunks() == len(first)
        put(store, hashing_embedder, art(1, text="Only one short sentence now."), size=200)  # the same again
        assert store.replaced_chunks() == len(first)
        assert store.delete_article("a2")
        assert store.replaced_chunks() == len(first) + 1
        other = reopen()
        assert isinstance(other, ReindexableStore) and other.replaced_chunks() == len(first) + 1
        # A rebuild's switch makes a fresh index: nothing replaced in it yet.
        target = store.begin_reindex(hashing_embedder.model_id, rebuild=True)
        assert target is not None
        live = store.live_chunks()
        ids = sorted(store.chunk_ids_in(live))
        store.copy_chunks(live, target, store.vectors_in(live, ids))
        store.switch_chunks(target, hashing_embedder.model_id, hashing_embedder.dim)
        store.finish_reindex()
        assert store.replaced_chunks() == 0 == other.replaced_chunks()
        assert sorted(store.chunk_ids()) == ids
