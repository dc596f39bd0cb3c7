"""Keys, rate limits, bounded LLM work, request ids and the logs, through the real app."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa import logs
from qa.api.app import create_app
from qa.config import Settings
from qa.embeddings import Embedder
from qa.engines.llm import LLMEngine
from qa.services import Services
from qa.testing.fake_llm import FakeOpenAI
from tests.conftest import REPO

KEY, OTHER = "k-3f9a0c1d2e", "k-other-77"
MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(embedded_settings: Settings, minilm: Embedder) -> Iterator[MakeClient]:
    opened: list[TestClient] = []

    def make(services_hook: Callable[[Services], None] | None = None, **overrides: Any) -> TestClient:
        settings = embedded_settings.model_copy(update=overrides)
        services = Services.from_settings(settings, embedder=minilm)
        if services_hook:
            services_hook(services)
        client = TestClient(create_app(settings, services)).__enter__()
        opened.append(client)
        return client

    yield make
    for c in opened:
        c.__exit__(None, None, None)


# -- keys ---------------------------------------------------------------------------------------


def test_without_keys_configured_the_api_is_open(make_client: MakeClient) -> None:
    c = make_client()
    assert c.get("/articles").status_code == 200


@pytest.mark.parametrize("path", ["/articles", "/readyz", "/search?q=drones", "/briefing", "/openapi.json"])
def test_every_route_but_healthz_needs_a_key(make_client: MakeClient, path: str) -> None:
    c = make_client(api_keys=[KEY, OTHER])
    r = c.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    body = r.json()
    assert body["error"]["type"] == "unauthorized" and "missing API key" in body["error"]["message"]
    assert body["request_id"] == r.headers["x-request-id"]
    probe = c.get("/healthz")  # liveness probes carry no key...
    assert probe.status_code == 200 and probe.json() == {"status": "ok"}  # ...and learn nothing more
    assert c.get("/healthz", headers={"X-API-Key": KEY}).json()["articles"] >= 0
    head = c.head("/healthz")  # load balancers probe with HEAD (it was a 405)
    assert head.status_code == 200 and head.content == b""


def test_a_post_without_a_key_stores_nothing(make_client: MakeClient) -> None:
    c = make_client(api_keys=[KEY])
    art = {"id": "nokey", "title": "t", "text": "Some text that would be stored."}
    assert c.post("/articles", json=art).status_code == 401
    assert c.get("/articles/nokey", headers={"X-API-Key": KEY}).status_code == 404


READER = "k-read-only-5c"


def test_a_read_only_key_reads_everything_and_changes_nothing(make_client: MakeClient) -> None:
    """QA_READ_API_KEYS: a key for dashboards and readers. It asks, searches, summarizes, reads
    briefings, articles and jobs; adding and deleting get 403, and nothing changes."""
    c = make_client(api_keys=[KEY], read_api_keys=[READER])
    read, full = {"X-API-Key": READER}, {"Authorization": f"Bearer {KEY}"}
    (aid,) = [a["id"] for a in c.get("/articles?limit=1", headers=read).json()["articles"]]
    for method, path, body in [
        ("POST", "/ask", {"question": "How many drones did Russia launch?"}),
        ("GET", "/search?q=drones", None),
        ("POST", "/summarize", {"article_id": aid}),
        ("GET", "/briefing", None),
        ("GET", f"/articles/{aid}", None),
        ("GET", "/readyz", None),
    ]:
        r = c.request(method, path, json=body, headers=read)
        assert r.status_code == 200, (path, r.text)
    assert c.get("/healthz", headers=read).json()["articles"] >= 1  # the details, as for any valid key
    before = c.get("/articles", headers=read).json()["total"]
    new = {"id": "by-reader", "title": "t", "text": "A text a reader tries to store."}
    for method, path, body in [
        ("POST", "/articles", new),
        ("POST", "/ingest", {"articles": [new]}),
        ("DELETE", f"/articles/{aid}", None),
        ("DELETE", "/ingest/0123456789abcdef", None),
    ]:
        r = c.request(method, path, json=body, headers=read)
        assert r.status_code == 403, (path, r.text)
        error = r.json()["error"]
        assert error["type"] == "forbidden" and "may only read (QA_READ_API_KEYS)" in error["message"]
        # A full key beside it does not lift the refusal: every key sent must allow the request.
        assert c.request(method, path, json=body, headers={**read, **full}).status_code == 403
    assert c.get("/articles", headers=read).json()["total"] == before
    assert c.get(f"/articles/{aid}", headers=full).status_code == 200
    assert c.post("/articles", json=new, headers=full).status_code == 200  # the full key writes


def test_read_only_keys_alone_turn_keys_on(make_client: MakeClient) -> None:
    c = make_client(read_api_keys=[READER])
    assert c.get("/articles").status_code == 401
    assert c.get("/articles", headers={"X-API-Key": READER}).status_code == 200
    assert c.post("/articles", json={"title": "t", "text": "x y z"}, headers={"X-API-Key": READER}).status_code == 403
    assert c.get("/openapi.json", headers={"X-API-Key": READER}).json()["components"]["securitySchemes"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {OTHER}"},
        {"X-API-Key": KEY},
    ],
)
def test_either_header_with_any_configured_key_is_let_in(make_client: MakeClient, headers: dict[str, str]) -> None:
    c = make_client(api_keys=[KEY, OTHER])
    r = c.post("/ask", json={"question": "How many drones did Russia launch?"}, headers=headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer k-3f9a0c1d2"},  # a prefix of a key
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": f"Basic {KEY}"},  # wrong scheme
        {"X-API-Key": ""},
        {"X-API-Key": KEY.upper()},
    ],
)
def test_wrong_keys_are_refused(make_client: MakeClient, headers: dict[str, str]) -> None:
    c = make_client(api_keys=[KEY, OTHER])
    r = c.get("/articles", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["type"] == "unauthorized"


def test_keys_never_reach_the_logs(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    c = make_client(api_keys=[KEY])
    with caplog.at_level(logging.DEBUG):
        c.get("/articles", headers={"Authorization": f"Bearer {KEY}"})
        c.get("/articles", headers={"X-API-Key": OTHER})  # a wrong key is not logged either
    text = "\n".join(logs.JsonFormatter().format(r) for r in caplog.records)
    assert "qa.access" in text  # the access log did run
    assert KEY not in text and OTHER not in text


def test_openapi_declares_the_key_schemes(make_client: MakeClient) -> None:
    c = make_client(api_keys=[KEY])
    schema = c.get("/openapi.json", headers={"X-API-Key": KEY}).json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert schema["paths"]["/ask"]["post"]["security"] and "security" not in schema["paths"]["/healthz"]["get"]
    assert "401" in schema["paths"]["/ask"]["post"]["responses"]


# -- rate limits --------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(make_client: MakeClient) -> None:
    c = make_client(rate_limit="3/minute")
    assert [c.get("/articles").status_code for _ in range(3)] == [200, 200, 200]
    r = c.get("/articles")
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "QA_RATE_LIMIT" in r.json()["error"]["message"] and r.json()["error"]["type"] == "rate_limited"
    assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200  # probes are not counted


def test_rate_limit_counts_each_key_apart(make_client: MakeClient) -> None:
    c = make_client(rate_limit="2/minute", api_keys=[KEY, OTHER])
    mine, theirs = {"X-API-Key": KEY}, {"X-API-Key": OTHER}
    assert [c.get("/articles", headers=mine).status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/articles", headers=theirs).status_code == 200
    # Failed attempts spend the address's quota, not a key's: guessing is slowed down too.
    assert [c.get("/articles", headers={"X-API-Key": "guess"}).status_code for _ in range(3)] == [401, 401, 429]
    assert c.get("/articles", headers=theirs).status_code == 200


def test_auth_edge_cases_are_decided_the_same_way_everywhere(make_client: MakeClient) -> None:
    c = make_client(api_keys=[KEY])
    two = [("X-API-Key", KEY), ("X-API-Key", "wrong")]
    assert c.get("/articles", headers=two).status_code == 401  # right then wrong
    assert c.get("/articles", headers=list(reversed(two))).status_code == 401  # wrong then right
    both = [("Authorization", f"Bearer {KEY}"), ("Authorization", "Bearer wrong")]
    assert c.get("/articles", headers=both).status_code == 401
    assert c.get("/articles", headers={"Authorization": KEY}).status_code == 401  # no scheme
    assert c.get("/articles", headers={"Authorization": f"Bearer {KEY}   "}).status_code == 200
    assert c.get("/articles", headers={"X-API-Key": f"{KEY}   "}).status_code == 200  # same rule for both


def test_wrong_keys_on_probes_are_throttled_too(make_client: MakeClient) -> None:
    c = make_client(rate_limit="2/minute", api_keys=[KEY])
    guesses = [c.get("/readyz", headers={"X-API-Key": f"guess{i}"}).status_code for i in range(3)]
    assert guesses == [401, 401, 429]
    assert c.get("/healthz").status_code == 200  # liveness stays open and uncounted


def test_a_bad_rate_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="QA_RATE_LIMIT"):
        Settings(rate_limit="sixty a minute")


def test_keys_and_origins_read_as_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_API_KEYS", f"{KEY}, {OTHER}")
    monkeypatch.setenv("QA_CORS_ORIGINS", "https://a.example,https://b.example")
    s = Settings()
    assert s.api_keys == [KEY, OTHER] and s.cors_origins == ["https://a.example", "https://b.example"]


# -- bounded LLM work ---------------------------------------------------------------------------


def test_ask_over_the_llm_slot_limit_is_503_with_retry_after(make_client: MakeClient) -> None:
    release = threading.Event()

    def slow(messages: list[dict[str, str]]) -> str:
        release.wait(10)
        return json.dumps({"abstain": True, "sentences": []})

    engine = LLMEngine(
        FakeOpenAI([slow]),  # type: ignore[arg-type]
        "fake",
        REPO / "prompts",
        max_in_flight=1,
        queue_wait_s=0.1,
    )

    def use_llm(services: Services) -> None:
        services.engine = engine

    c = make_client(services_hook=use_llm)
    q = {"question": "How many drones did Russia launch?"}
    first: list[int] = []
    t = threading.Thread(target=lambda: first.append(c.post("/ask", json=q).status_code))
    t.start()
    try:
        deadline = 50
        while engine._slots._value and deadline:  # type: ignore[attr-defined]
            threading.Event().wait(0.05)
            deadline -= 1
        r = c.post("/ask", json=q)
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) >= 1 and "QA_LLM_MAX_IN_FLIGHT" in r.json()["error"]["message"]
        streamed = c.post("/ask", json=q | {"stream": True})  # refused before the stream starts
        assert streamed.status_code == 503 and streamed.headers["content-type"].startswith("application/json")
    finally:
        release.set()
        t.join(10)
    assert first == [200]


# -- request ids, errors and logs ---------------------------------------------------------------


def test_request_id_is_echoed_when_sane_and_replaced_when_not(make_client: MakeClient) -> None:
    c = make_client()
    assert c.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    odd = c.get("/healthz", headers={"X-Request-ID": "a b\tc<script>"}).headers["x-request-id"]
    assert odd != "a b\tc<script>" and len(odd) == 32


def test_unexpected_errors_are_500_with_a_request_id_and_a_logged_traceback(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def warm(self) -> None:
            pass

        def search(self, *a: object, **k: object) -> None:
            raise RuntimeError("secret internal detail /etc/passwd")

    def break_retriever(services: Services) -> None:
        services.retriever = Broken()  # type: ignore[assignment]

    c = make_client(services_hook=break_retriever)
    with caplog.at_level(logging.ERROR):
        r = c.get("/search", params={"q": "drones"})
    assert r.status_code == 500
    body = r.json()
    assert "secret" not in r.text and body["error"]["type"] == "error"
    assert body["request_id"] == r.headers["x-request-id"]
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged and "secret internal detail" in logs.JsonFormatter().format(logged[0])
    assert body["request_id"] in logs.JsonFormatter().format(logged[0])


def test_access_log_is_json_with_request_id_and_stage_timings(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    c = make_client()
    with caplog.at_level(logging.INFO, logger="qa.access"):
        r = c.post("/ask", json={"question": "How many drones did Russia launch?"}, headers={"X-Request-ID": "rid-1"})
    assert r.status_code == 200
    lines = [json.loads(logs.JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "qa.access"]
    (line,) = [x for x in lines if x["path"] == "/ask"]
    assert line["request_id"] == "rid-1" and line["status"] == 200 and line["method"] == "POST"
    assert line["duration_ms"] > 0 and line["client"] == "testclient"
    assert {"retrieval", "generation", "verification", "total"} <= set(line["stages_ms"])


def test_configure_writes_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("json", "INFO")
        token = logs.request_id.set("rid-9")
        logging.getLogger("qa.test").info("hello %s", "there", extra={"stage": "x"})
        logs.request_id.reset(token)
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["msg"] == "hello there" and line["request_id"] == "rid-9" and line["stage"] == "x"
        assert line["level"] == "info" and line["logger"] == "qa.test"
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def test_method_not_allowed_lists_every_method_of_the_path(make_client: MakeClient) -> None:
    r = make_client().request("PATCH", "/articles")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert "use GET or POST" in r.json()["error"]["message"]


def test_readyz_checks_the_llm_endpoint_when_one_is_configured(make_client: MakeClient) -> None:
    import openai

    from qa.testing.process import free_port

    def llm(client: object) -> Callable[[Services], None]:
        def hook(services: Services) -> None:
            services.engine = LLMEngine(client, "m", REPO / "prompts")  # type: ignore[arg-type]

        return hook

    up = make_client(services_hook=llm(FakeOpenAI([])))
    assert up.get("/readyz").json()["engine"] == "llm"
    nobody_listens = openai.OpenAI(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x", max_retries=0)
    down = make_client(services_hook=llm(nobody_listens))
    r = down.get("/readyz")
    assert r.status_code == 503 and "LLM endpoint does not answer" in r.json()["error"]["message"]
    assert down.get("/healthz").status_code == 200  # alive, just not ready


def test_malformed_json_is_a_422_that_says_where(make_client: MakeClient) -> None:
    r = make_client().post("/articles", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("invalid request: body: not valid JSON at character 1")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/articles", {"params": {"until": "0"}}),
        ("get", "/search", {"params": {"q": "drones", "since": "1700000000"}}),
        ("post", "/ask", {"json": {"question": "drones?", "filters": {"since": 0}}}),
        ("post", "/ask", {"json": {"question": "drones?", "k": 5.0}}),
        ("post", "/ask", {"json": {"question": "drones?", "stream": 1}}),
    ],
)
def test_numbers_are_not_taken_for_days_counts_or_flags(
    make_client: MakeClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    # Pydantic's lax mode reads 0 as 1970-01-01, 5.0 as 5 and 1 as true; the schema promises otherwise.
    r = getattr(make_client(), method)(path, **kwargs)
    assert r.status_code == 422, r.text


def test_key_guessing_is_throttled_even_without_a_rate_limit(make_client: MakeClient) -> None:
    """QA_RATE_LIMIT is off (the default), yet wrong keys from one address stop at the
    QA_AUTH_FAILURE_LIMIT; the right key still works from there."""
    c = make_client(api_keys=[KEY], auth_failure_limit="5/minute")
    statuses = [c.get("/articles", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(7)]
    assert statuses == [401] * 5 + [429, 429]
    refused = c.get("/articles", headers={"X-API-Key": "guess-x"})
    assert "QA_AUTH_FAILURE_LIMIT" in refused.json()["error"]["message"] and int(refused.headers["retry-after"]) >= 1
    assert c.get("/articles", headers={"X-API-Key": KEY}).status_code == 200


def test_authors_are_bounded(make_client: MakeClient) -> None:
    c = make_client()
    art = {"id": "many-authors", "title": "Harbor", "text": "The harbor reopened on Tuesday."}
    r = c.post("/articles", json={**art, "authors": [f"Writer {i}" for i in range(101)]})
    assert r.status_code == 422 and "authors" in r.text
    r = c.post("/articles", json={**art, "authors": ["x" * 301]})
    assert r.status_code == 422 and "authors" in r.text
    assert c.post("/articles", json={**art, "authors": ["A. Reporter"]}).status_code == 200
