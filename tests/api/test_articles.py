from __future__ import annotations

from collections.abc import Sequence

from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.services import Services

NEW = {
    "title": "Harbor bridge reopens",
    "text": "The harbor bridge reopened on Friday after two years.",
    "source": "Harbor Times",
    "published": "2025-07-02",
    "url": "https://harbor.test/bridge",
}


def test_health_after_seeding(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["articles"] == 4 and body["chunks"] > 4
    assert body["engine"] == "extractive" and body["store"] == "chroma-embedded"
    assert body["self_retrieval"] == 1.0  # every sampled chunk is found by its own vector
    assert r.headers["x-request-id"]


def test_add_one_list_or_wrapper_idempotently(client: TestClient) -> None:
    r = client.post("/articles", json=NEW)
    assert r.status_code == 200, r.text
    (aid,) = r.json()["added"]
    assert client.post("/articles", json=[NEW]).json()["unchanged"] == [aid]
    changed = {**NEW, "text": NEW["text"] + " Traffic was light."}
    r = client.post("/articles", json={"articles": [changed]})
    assert r.json()["updated"] == [aid] and r.json()["chunks"] == 1
    got = client.get(f"/articles/{aid}").json()
    assert got["text"].endswith("Traffic was light.") and got["published"] == "2025-07-02"


def test_invalid_batch_stores_nothing_and_says_why(client: TestClient) -> None:
    before = client.get("/healthz").json()["articles"]
    r = client.post("/articles", json=[NEW, {"title": "No text"}])
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["type"] == "invalid_input" and "text" in err["message"] and "Field required" in err["message"]
    r = client.post("/articles", json=[NEW, {**NEW, "url": None, "published": "not a date"}])
    assert r.status_code == 422 and "articles[1].published" in r.json()["error"]["message"]
    assert client.get("/healthz").json()["articles"] == before
    assert client.post("/articles", content=b"{broken", headers={"content-type": "application/json"}).status_code == 422


def test_a_published_date_no_article_can_have_is_a_422_and_the_briefing_still_works(client: TestClient) -> None:
    """Hardening round two: "+24:00" passed validation and failed at write (a job that never ended,
    a 503 retried forever); year 9999 broke the default briefing for everyone and became its day."""
    for published, why in (
        ("2025-07-02T10:00:00+23:30", "offset beyond ±14:00"),
        ("9999-12-31", "is outside 1900-01-01"),
        ("0001-01-01T00:00:00-14:00", "is outside 1900-01-01"),
    ):
        r = client.post("/articles", json={**NEW, "published": published})
        assert r.status_code == 422, (published, r.text)
        assert "published" in r.json()["error"]["message"] and why in r.json()["error"]["message"]
    assert client.post("/articles", json={**NEW, "published": "2025-07-02T10:00:00-14:00"}).status_code == 200
    assert client.get("/briefing").status_code == 200


def test_nul_characters_are_not_stored(client: TestClient) -> None:
    article = {**NEW, "url": None, "id": "nul-test", "title": "Harbor\u0000 bridge", "authors": ["A\u0000B"]}
    article["text"] = NEW["text"].replace("bridge", "bri\u0000ge")
    assert client.post("/articles", json=article).status_code == 200
    got = client.get("/articles/nul-test").json()
    assert "\u0000" not in got["title"] + got["text"] + "".join(got["authors"])
    assert len(got["text"]) == len(article["text"])  # a space in its place: offsets hold


def test_list_filter_and_page(client: TestClient) -> None:
    client.post("/articles", json=NEW)
    r = client.get("/articles", params={"source": "Harbor Times"}).json()
    assert r["total"] == 1 and r["articles"][0]["title"] == NEW["title"]
    r = client.get("/articles", params={"since": "2025-07-01", "until": "2025-07-01"}).json()
    assert {a["source"] for a in r["articles"]} == {"New York Post", "Boston Globe", "Politico"}
    page = client.get("/articles", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and len(page["articles"]) == 2
    assert client.get("/articles", params={"since": "2025-08-01", "until": "2025-07-01"}).status_code == 422
    assert client.get("/articles", params={"limit": 0}).status_code == 422


def test_delete_removes_from_search(client: TestClient) -> None:
    aid = client.post("/articles", json=NEW).json()["added"][0]
    assert client.get("/search", params={"q": "harbor bridge reopened"}).json()["hits"][0]["article_id"] == aid
    assert client.delete(f"/articles/{aid}").status_code == 204
    hits = client.get("/search", params={"q": "harbor bridge reopened"}).json()["hits"]
    assert aid not in {h["article_id"] for h in hits}
    r = client.delete(f"/articles/{aid}")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
    assert client.get(f"/articles/{aid}").status_code == 404


def test_body_limit_security_headers_and_readiness(client: TestClient) -> None:
    limit = client.app.state.services.settings.max_body_bytes  # type: ignore[attr-defined]
    big = {"title": "Huge", "text": "x" * (limit + 10)}
    r = client.post("/articles", json=big)
    assert r.status_code == 413 and "QA_MAX_BODY_BYTES" in r.json()["error"]["message"]

    def chunks():  # no content-length: the limit still holds
        yield b'{"title": "Huge", "text": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/articles", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff" and "access-control-allow-origin" not in r.headers
    assert client.get("/readyz").json()["status"] == "ready"


def test_a_flood_of_copies_is_a_422_and_nothing_of_the_batch_is_stored(client: TestClient) -> None:
    """One text under 22 ids: past QA_MAX_NEAR_COPIES (20) the copies refuse the batch, named,
    and a client is told not to retry (422, not 503)."""
    text = "The harbour council voted on Monday to close the old ferry pier for repairs until spring."
    # Titles that differ: the vectors embed them too, so copies drift apart (0.88-0.95 here).
    batch = [{"id": f"copy-{i}", "title": f"Pier {i}", "text": text} for i in range(22)]
    r = client.post("/articles", json=batch)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("nothing was stored: copy-20: repeats the text of 20 or more other articles")
    assert "copy-21" in message and "QA_MAX_NEAR_COPIES" in message
    assert client.get("/articles/copy-0").status_code == 404
    assert client.post("/articles", json=batch[:20]).status_code == 200  # twenty copies are fine


def test_a_degenerate_article_is_a_422_naming_it_and_nothing_of_the_batch_is_stored(client: TestClient) -> None:
    lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 2000
    batch = [
        {"id": "fine-one", "title": "Bike lanes approved", "text": "The council approved 12 miles of bike lanes."},
        {"id": "lorem-one", "title": "Lorem", "text": lorem},
    ]
    r = client.post("/articles", json=batch)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "lorem-one" in message and "low-information" in message
    assert client.get("/articles/fine-one").status_code == 404


def test_unreadable_json_bodies_say_what_is_wrong(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    deep = client.post("/ask", content=b"[" * 100_000 + b"]" * 100_000, headers=headers)
    assert 400 <= deep.status_code < 500 and "nested too deeply" in deep.json()["error"]["message"]
    digits = client.post("/ask", content=b'{"question": "x", "k": ' + b"9" * 5000 + b"}", headers=headers)
    assert 400 <= digits.status_code < 500
    assert "UTF-8" not in digits.json()["error"]["message"], digits.json()
    latin1 = client.post("/ask", content='{"question": "caf\xe9"}'.encode("latin-1"), headers=headers)
    assert 400 <= latin1.status_code < 500 and "UTF-8" in latin1.json()["error"]["message"]


def test_an_invalid_article_gets_one_message_for_the_shape_it_was_sent_in(client: TestClient) -> None:
    cases = [
        ({"title": "x"}, "invalid request: text: Field required"),
        ([{"title": "x"}], "invalid request: articles.0.text: Field required"),
        (
            {"articles": [{"title": "x", "text": "y"}, {"title": "z"}]},
            "invalid request: articles.1.text: Field required",
        ),
        ({"title": "a", "text": "b", "top_k": 1}, "invalid request: top_k: unknown field"),
    ]
    for body, message in cases:
        r = client.post("/articles", json=body)
        assert r.status_code == 422 and r.json()["error"]["message"] == message, r.json()


def test_a_misnamed_field_gets_a_suggestion_and_a_form_body_is_told_to_be_json(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "How many drones?", "top_k": 3})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "invalid request: top_k: unknown field (did you mean 'k'?)"
    r = client.post("/ask", json={"questoin": "How many drones?"})
    assert "questoin: unknown field (did you mean 'question'?)" in r.json()["error"]["message"]
    # What `curl -d '{...}'` sends: JSON text as a form.
    r = client.post(
        "/ask",
        content=b'{"question": "How many drones?"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422 and "Content-Type: application/json" in r.json()["error"]["message"], r.json()


def test_refused_bodies_are_refused_before_any_embedding(seeded_settings: Settings, minilm: Embedder) -> None:
    """The attack: 9 articles of 999,999 characters of random words were refused with 422 after
    129 s of CPU. The work a refused body costs is bounded by what is accepted: chunking stops one
    past the chunk limit, copies are compared through an index, and nothing of a refused batch is
    embedded, which is where the time went."""
    import random

    import numpy as np

    class Counting:
        def __init__(self, inner: Embedder) -> None:
            self.inner, self.texts = inner, 0
            self.model_id, self.dim = inner.model_id, inner.dim

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            self.texts += len(texts)
            return self.inner.embed(texts)

    rng = random.Random(5)
    words = [f"w{n}" for n in range(60_000)]  # not low-information: the chunk limit refuses them

    def huge(i: int) -> dict[str, str]:
        text = " ".join(rng.choice(words) if k % 10 else "the" for k in range(170_000))[:999_999]
        return {"id": f"huge-{i}", "title": f"Huge {i}", "text": text}

    counting = Counting(minilm)
    services = Services.from_settings(seeded_settings, embedder=counting)  # type: ignore[arg-type]
    with TestClient(create_app(seeded_settings, services)) as client:
        counting.texts = 0
        r = client.post("/articles", json=[huge(i) for i in range(3)])
        assert r.status_code == 422 and "QA_MAX_CHUNKS_PER_ARTICLE" in r.text, r.text[:500]
        assert counting.texts == 0
        assert client.get("/healthz").json()["articles"] == 4  # nothing stored
