"""GET /briefing over the fixture articles of tests/fixtures/briefing, through the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.services import Services
from tests.api.test_answers import check_citations
from tests.test_briefing import EXPECTED, fixture_items


@pytest.fixture
def client(embedded_settings: Settings, minilm: Embedder) -> Iterator[TestClient]:
    settings = embedded_settings.model_copy(update={"seed_on_start": False})
    services = Services.from_settings(settings, embedder=minilm)
    with TestClient(create_app(settings, services)) as c:
        r = c.post("/articles", json=fixture_items())
        assert r.status_code == 200, r.text
        yield c


def test_briefing_json(client: TestClient) -> None:
    r = client.get("/briefing", params={"date": "2025-04-14"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"date", "sections", "markdown", "message"} <= set(body)
    told = "6 stories from 10 articles by 8 outlets; 5 told in full, 1 more listed under Also today."
    assert body["date"] == "2025-04-14" and body["message"] == told
    assert [set(s["article_ids"]) for s in body["sections"]] == EXPECTED[:5]
    (link,) = body["also"]
    assert set(link["article_ids"]) == EXPECTED[5] and set(link) == {"headline", "article_ids", "articles", "kind"}
    for s in body["sections"]:
        assert {"headline", "lead", "summary", "citations", "article_ids", "articles", "rank_reasons"} <= set(s)
        check_citations(client, s, "summary")
        assert s["summary"].startswith(s["lead"]) and s["lead"].endswith("]")  # the cited "what happened"
        assert s["kind"] == "news" and s["rank_reasons"]
        assert [a["id"] for a in s["articles"]] == s["article_ids"]
        assert all(set(a) == {"id", "title", "source", "url", "published", "opinion"} for a in s["articles"])
    fire = body["sections"][0]
    assert len({c["source"] for c in fire["citations"]}) >= 2
    assert set(fire["citations"][0]) == {"n", "article_id", "chunk_id", "title", "source", "url", "published", "quote"}


def test_markdown_and_html(client: TestClient) -> None:
    body = client.get("/briefing", params={"date": "2025-04-14"}).json()
    md = client.get("/briefing", params={"date": "2025-04-14", "format": "md"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text == body["markdown"] and md.text.startswith("## Briefing for 2025-04-14\n")
    page = client.get("/briefing", params={"date": "2025-04-14", "format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "<link" not in html
    assert html.count('<section class="story') == 5 and html.count('<section class="story top"') == 1
    assert html.count('<a href="#story-') == 5  # the contents
    assert '<section class="also"><h2>Also today</h2>' in html
    assert 'href="https://sportsdesk.example/football/rivertown-fc-cup-final"' in html
    assert "Region&#x27;s largest solar farm" in html  # escaped
    assert 'href="https://northernherald.example/2025/04/14/wildfire-pine-ridge"' in html


def test_empty_day_latest_day_and_sources(client: TestClient) -> None:
    r = client.get("/briefing", params={"date": "2025-04-13"})
    assert r.status_code == 200
    assert r.json()["sections"] == [] and r.json()["message"] == "No articles were published on 2025-04-13."
    assert "No articles were published" in client.get("/briefing?date=2025-04-13&format=html").text

    latest = client.get("/briefing").json()
    assert latest["date"] == "2025-04-15" and len(latest["sections"]) == 2

    r = client.get("/briefing?date=2025-04-14&source=Coastal%20Times&source=Valley%20Post&max_sections=1")
    sections = r.json()["sections"]
    assert [set(s["article_ids"]) for s in sections] == [{"fire-coastal", "fire-valley"}]


@pytest.mark.parametrize(
    "query, words",
    [
        ("date=2025-13-01", ["date", "YYYY-MM-DD", "month"]),
        ("date=2025-02-30", ["date", "YYYY-MM-DD", "day"]),
        ("date=20250414", ["date", "YYYY-MM-DD"]),  # not read as a unix timestamp
        ("date=yesterday", ["date", "'yesterday'"]),
        ("date=2025-04-14T00:00:00", ["date", "YYYY-MM-DD"]),
        ("format=pdf", ["format"]),
        ("max_sections=0", ["max_sections"]),
        ("max_sections=51", ["max_sections"]),
        ("&".join(f"source=outlet{i}" for i in range(101)), ["source", "100"]),  # was a 500
    ],
)
def test_bad_input_is_422_with_a_clear_message(client: TestClient, query: str, words: list[str]) -> None:
    r = client.get(f"/briefing?{query}")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_input"
    for w in words:
        assert w in err["message"], err["message"]


def test_cache_across_requests_and_writes(client: TestClient) -> None:
    first = client.get("/briefing", params={"date": "2025-04-14"}).json()
    assert client.get("/briefing", params={"date": "2025-04-14"}).json() == first
    service = client.app.state.services.briefings  # type: ignore[attr-defined]
    assert (service.hits, service.misses) == (1, 1)

    # Another day's article changes: still cached.
    r = client.post(
        "/articles",
        json={
            "id": "ferry",
            "title": "Ferry resumes",
            "text": "The harbor ferry resumed service.",
            "published": "2025-04-15",
        },
    )
    assert r.status_code == 200
    assert client.get("/briefing", params={"date": "2025-04-14"}).json() == first
    assert (service.hits, service.misses) == (2, 1)

    # That day's article is deleted: rebuilt without it.
    assert client.delete("/articles/solar-farm").status_code == 204
    after = client.get("/briefing", params={"date": "2025-04-14"}).json()
    assert service.misses == 2 and len(after["sections"]) + len(after["also"]) == 5
    assert "solar-farm" not in {i for s in after["sections"] for i in s["article_ids"]}


def test_openapi_lists_the_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    params = {p["name"] for p in schema["paths"]["/briefing"]["get"]["parameters"]}
    assert params == {"date", "source", "max_sections", "format"}
