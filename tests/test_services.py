"""The application layer the API and the CLI share: listing, lookups, filters, days, batches, briefings."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import typer
from pydantic import TypeAdapter, ValidationError
from typer.testing import CliRunner

from qa import cli
from qa import services as services_module
from qa.cli.app import day_option
from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import InvalidInput, NotFound
from qa.models import Article, SearchFilters, parse_day
from qa.schemas import ArticleIn, Day
from qa.services import Services, search_filters


def article(i: int, **kw: object) -> Article:
    fields: dict[str, object] = {
        "id": f"a{i}",
        "title": f"Story {i}",
        "text": f"The council met on day {i} and voted on plan number {i}.",
        "source": "Outlet A" if i % 2 else "Outlet B",
        "published": date(2025, 7, i),
    }
    return Article(**{**fields, **kw})  # type: ignore[arg-type]


@pytest.fixture
def services(embedded_settings: Settings, hashing_embedder: Embedder) -> Services:
    return Services.from_settings(embedded_settings, embedder=hashing_embedder)


def test_list_articles_is_one_page_and_the_filtered_total(services: Services) -> None:
    services.ingestor.ingest([article(i) for i in range(1, 6)])
    page, total = services.list_articles(None, limit=2, offset=1)
    assert [m.id for m in page] == ["a4", "a3"] and total == 5
    page, total = services.list_articles(SearchFilters(source="Outlet A"), limit=1, offset=0)
    assert [m.id for m in page] == ["a5"] and total == 3
    page, total = services.list_articles(SearchFilters(since=date(2025, 7, 4)), limit=10, offset=5)
    assert page == [] and total == 2


def test_a_missing_article_is_not_found_to_get_and_to_delete(services: Services) -> None:
    services.ingestor.ingest([article(1)])
    assert services.get_article("a1").title == "Story 1"
    services.delete_article("a1")
    with pytest.raises(NotFound, match="no article with id 'a1'"):
        services.get_article("a1")
    with pytest.raises(NotFound, match="no article with id 'a1'"):
        services.delete_article("a1")


def test_search_filters_read_days_and_say_what_is_wrong() -> None:
    f = search_filters("Outlet A", "2025-07-01", date(2025, 7, 3))
    assert f == SearchFilters(source=["Outlet A"], since=date(2025, 7, 1), until=date(2025, 7, 3))
    assert search_filters([], None, None).is_empty()
    with pytest.raises(InvalidInput) as bad_day:
        search_filters(None, "20250701", None)
    assert bad_day.value.field == "since" and "YYYY-MM-DD" in str(bad_day.value)
    with pytest.raises(InvalidInput, match=r"since \(2025-07-02\) is after until \(2025-07-01\)"):
        search_filters(None, "2025-07-02", "2025-07-01")


DAYS = [
    ("2025-07-01", date(2025, 7, 1)),
    (" 2025-07-01 ", None),  # the schema's format: date has no room for spaces
    ("20250701", None),  # the CLI took this once (date.fromisoformat reads ISO basic format)
    ("2025-W27-2", None),  # so was this
    ("2025-7-1", None),
    ("2025/07/01", None),
    ("2025-07-01T00:00:00", None),
    ("2025-13-01", None),
    ("yesterday", None),
]


@pytest.mark.parametrize(("text", "day"), DAYS)
def test_the_api_and_the_cli_read_a_day_alike(text: str, day: date | None) -> None:
    def api(v: str) -> date | None:  # since/until/as_of (the Day type); /briefing's date calls parse_day
        try:
            return TypeAdapter(Day).validate_python(v)
        except ValidationError:
            return None

    def cli_option(v: str) -> date | None:
        try:
            return day_option(v, "--since")
        except typer.BadParameter as exc:
            assert "YYYY-MM-DD" in str(exc)
            return None

    def shared(v: str) -> date | None:
        try:
            return parse_day(v)
        except InvalidInput:
            return None

    assert api(text) == cli_option(text) == shared(text) == day


def test_the_cli_refuses_a_bad_day_before_opening_the_store() -> None:
    r = CliRunner().invoke(cli.app, ["articles", "list", "--since", "20250701"])
    assert r.exit_code == 2
    assert "--since" in r.output and "'20250701' is not a date: give a day as YYYY-MM-DD" in r.output


def _items(*articles: dict[str, object]) -> list[ArticleIn]:
    return [ArticleIn.model_validate(a) for a in articles]


def test_a_batch_over_a_limit_stores_nothing_and_names_each_bad_item(
    embedded_settings: Settings, hashing_embedder: Embedder
) -> None:
    settings = embedded_settings.model_copy(update={"max_batch_articles": 2, "max_article_chars": 1000})
    services = Services.from_settings(settings, embedder=hashing_embedder)
    ok = {"title": "Fine", "text": "A fine short article about the harbor."}
    with pytest.raises(InvalidInput, match=r"batch has 3 articles, over the limit of 2 \(QA_MAX_BATCH_ARTICLES\)"):
        services.add_articles(_items(ok, ok, ok))
    long = {"title": "Long", "text": "Words about the harbor. " * 60}
    with pytest.raises(InvalidInput) as refused:
        services.add_articles(_items(ok, long))
    assert str(refused.value).startswith("nothing was stored: articles[1] (")
    assert "): text has 1,440 characters, over the limit of 1,000 (QA_MAX_ARTICLE_CHARS)" in str(refused.value)
    assert services.store.count_articles() == 0
    assert services.add_articles(_items(ok)).added == [services.check_batch(_items(ok))[0].id]


def test_a_request_chunks_each_article_once(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch check chunks every article to judge it; ingest stores those chunks, not new ones."""
    chunked: list[str] = []
    real = services.ingestor.chunks_of
    monkeypatch.setattr(services.ingestor, "chunks_of", lambda a: chunked.append(a.id) or real(a))
    batch = _items(
        *({"title": f"Pier {i}", "text": f"The ferry to pier {i} runs hourly from the harbor."} for i in range(3))
    )
    report = services.add_articles(batch)
    assert len(report.added) == 3 and sorted(chunked) == sorted(report.added)


def test_an_id_sent_twice_in_a_batch_is_stored_as_its_last_copy_with_that_copys_chunks(services: Services) -> None:
    first = {"id": "twice", "title": "Ferry", "text": "The ferry to the islands runs hourly from the harbor."}
    last = {**first, "text": "The ferry to the islands now runs every half hour, the harbor office said."}
    services.add_articles(_items(first, last))
    stored = services.get_article("twice")
    assert stored.text == last["text"]
    assert [r.chunk.text for r in services.store.article_chunks("twice")] == [last["text"]]


def test_one_briefing_service_whichever_thread_asks_first(services: Services) -> None:
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: services.briefings, range(16)))
    assert all(b is made[0] for b in made) and made[0].store is services.store


@pytest.mark.parametrize(
    ("part", "factory"), [("answers", "AnswerService"), ("retriever", "Retriever"), ("ingestor", "Ingestor")]
)
def test_each_part_is_built_once_whichever_thread_asks_first(
    embedded_settings: Settings, hashing_embedder: Embedder, monkeypatch: pytest.MonkeyPatch, part: str, factory: str
) -> None:
    """Built on first use under one lock: two requests arriving together get one answer service
    (so one count of engine slots), one retriever, one ingestor (so one write lock). A slow build
    lets the threads overlap, as a first request's model loading does."""
    real = getattr(services_module, factory)
    calls: list[int] = []

    def slow(*args: object, **kwargs: object) -> object:
        calls.append(1)
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(services_module, factory, slow)
    services = Services.from_settings(embedded_settings, embedder=hashing_embedder)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: getattr(services, part), range(16)))
    assert all(m is made[0] for m in made) and len(calls) == 1
