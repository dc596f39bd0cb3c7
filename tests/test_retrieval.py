"""Ingest + hybrid retrieval against a real store, in both store modes."""

from __future__ import annotations

from datetime import date

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import ArticleError, EmbeddingEndpointError
from qa.ingest.limits import Limits
from qa.models import Article, SearchFilters
from qa.services import Services

ARTICLES = [
    Article(
        id="drones",
        title="Russia launches record drone barrage",
        source="AP",
        published=date(2025, 7, 1),
        text="Russia launched 5,438 drones at Ukraine in June, a monthly record. Air defences downed most.",
    ),
    Article(
        id="korea",
        title="Kim mourns soldiers killed in Kursk",
        source="Boston Globe",
        published=date(2025, 7, 2),
        text="North Korea sent some 12,000 troops to the Kursk region. Kim placed his hands on a coffin.",
    ),
    Article(
        id="munitions",
        title="Pentagon halts munitions shipments",
        source="Politico",
        published=date(2025, 7, 3),
        text="The Pentagon halted shipments of air defense missiles to Ukraine after a stockpile review.",
    ),
    Article(
        id="undated",
        title="Bakery wins award",
        source="AP",
        text="A small bakery in Vermont won a national award for its sourdough bread.",
    ),
]


@pytest.fixture
def services(settings: Settings, hashing_embedder: Embedder) -> Services:
    svc = Services.from_settings(settings, embedder=hashing_embedder)
    report = svc.ingestor.ingest(ARTICLES)
    assert sorted(report.added) == sorted(a.id for a in ARTICLES) and not report.errors
    return svc


def top_article(svc: Services, query: str, **kw: object) -> str | None:
    hits = svc.retriever.search(query, k=3, **kw)  # type: ignore[arg-type]
    return hits[0].article.id if hits else None


def test_finds_the_passage_with_its_article(services: Services) -> None:
    hits = services.retriever.search("sourdough bread award", k=2)
    assert hits[0].article.id == "undated"
    assert hits[0].article.title == "Bakery wins award"
    assert hits[0].lexical_rank == 1 and hits[0].dense_rank is not None
    stored = services.store.get_article("undated")
    assert stored is not None
    assert stored.text[hits[0].chunk.start : hits[0].chunk.end] == hits[0].chunk.text


def test_each_mode_alone(services: Services) -> None:
    for mode in ("dense", "lexical"):
        hits = services.retriever.search("Kursk troops coffin", k=1, mode=mode)  # type: ignore[arg-type]
        assert hits[0].article.id == "korea"


def test_filters(services: Services) -> None:
    assert top_article(services, "drones Ukraine", filters=SearchFilters(source="Politico")) == "munitions"
    window = SearchFilters(since=date(2025, 7, 2), until=date(2025, 7, 3))
    ids = {h.article.id for h in services.retriever.search("Ukraine drones bakery", k=10, filters=window)}
    assert ids == {"korea", "munitions"}  # the undated article is in no date range
    assert services.retriever.search("bakery", k=3, filters=SearchFilters(source="Nobody")) == []


def test_reingest_identical_changes_nothing(services: Services) -> None:
    rev = services.store.revision()
    report = services.ingestor.ingest(ARTICLES)
    assert sorted(report.unchanged) == sorted(a.id for a in ARTICLES)
    assert report.added == report.updated == [] and report.chunks == 0
    assert services.store.revision() == rev


def test_update_and_delete_reach_both_retrievers(services: Services) -> None:
    changed = ARTICLES[3].model_copy(update={"text": "The bakery now sells croissants made with Normandy butter."})
    assert services.ingestor.ingest([changed]).updated == ["undated"]
    for mode in ("dense", "lexical"):
        hits = services.retriever.search("sourdough", k=5, mode=mode)  # type: ignore[arg-type]
        assert all("sourdough" not in h.chunk.text for h in hits)
    assert top_article(services, "croissants Normandy butter") == "undated"

    assert services.ingestor.delete("undated") is True
    for mode in ("dense", "lexical", "hybrid"):
        hits = services.retriever.search("croissants Normandy butter", k=5, mode=mode)  # type: ignore[arg-type]
        assert "undated" not in {h.article.id for h in hits}


def test_lexical_index_follows_other_processes_and_restarts(services: Services, hashing_embedder: Embedder) -> None:
    """A second Services on the same store (another API process, or a restart) stays consistent."""
    other = Services.from_settings(services.settings, embedder=hashing_embedder)
    assert top_article(other, "sourdough") == "undated"
    services.ingestor.ingest([Article(id="zoo", title="Zoo", text="The zoo welcomed a baby okapi.")])
    assert other.retriever.search("okapi", k=1, mode="lexical")[0].article.id == "zoo"
    other.ingestor.delete("zoo")
    assert services.retriever.search("okapi", k=1, mode="lexical") == []


def test_bad_items_are_reported_and_the_rest_go_in(services: Services) -> None:
    report = services.ingestor.ingest(
        [
            ArticleError("invalid JSON", "feed.jsonl:3"),
            Article(id="ok", title="Fine", text="A fine article."),
        ]
    )
    assert report.added == ["ok"]
    assert report.errors == ["feed.jsonl:3: invalid JSON"]


def test_oversized_article_is_refused(services: Services) -> None:
    services.ingestor.limits = Limits(article_chars=50)
    report = services.ingestor.ingest([Article(id="big", title="Big", text="word " * 100)])
    assert report.added == [] and "over the limit" in report.errors[0]
    assert services.store.get_article("big") is None


def test_as_of_prefers_the_articles_published_just_before_it(services: Services) -> None:
    # Two reports of one event, a year apart, worded alike: the day asked from decides between them.
    older = Article(
        id="flood-2024",
        title="River floods the old town",
        source="AP",
        published=date(2024, 7, 2),
        text="The river flooded the old town on Tuesday and hundreds of residents left their homes.",
    )
    newer = older.model_copy(update={"id": "flood-2025", "published": date(2025, 7, 1)})
    services.ingestor.ingest([older, newer])
    query = "river flooded the old town residents"
    assert top_article(services, query, as_of=date(2025, 7, 3)) == "flood-2025"
    assert top_article(services, query, as_of=date(2024, 7, 4)) == "flood-2024"
    # A soft prior: an article published long after the day is still found, just ranked lower.
    found = {h.article.id for h in services.retriever.search("sourdough bread award", k=5, as_of=date(2000, 1, 1))}
    assert "undated" in found


def test_warm_loads_the_indexes_and_survives_a_failing_embedder(
    settings: Settings, hashing_embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """`qa serve` warms the retriever before it serves: it runs one search (loading the vector
    index and the embedder), and an embeddings endpoint that fails then is logged, not fatal."""

    class Down:
        model_id, dim = hashing_embedder.model_id, hashing_embedder.dim

        def embed(self, texts: object) -> object:
            raise EmbeddingEndpointError("the embeddings endpoint http://x/v1 failed: refused")

    services = Services.from_settings(settings, embedder=hashing_embedder)
    services.ingestor.ingest([Article(id="a", title="Okapi calf", text="An okapi calf was born at the zoo.")])
    searched: list[str] = []
    retriever = services.retriever
    original = retriever.search
    retriever.search = lambda q, **kw: searched.append(q) or original(q, **kw)  # type: ignore[method-assign]
    retriever.warm()
    assert searched == ["warm up"] and len(retriever.lexical) == 1  # type: ignore[arg-type]

    retriever.embedder = Down()  # type: ignore[assignment]
    retriever.warm()
    assert "warm-up search failed: the embeddings endpoint http://x/v1 failed" in caplog.text
