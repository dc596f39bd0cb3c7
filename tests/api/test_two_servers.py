"""Two `qa serve` processes behind one `chroma run` server stay consistent while one of them ingests."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.testing.api_server import QAServer, start_qa_server
from qa.testing.chroma_server import ChromaServer

pytestmark = pytest.mark.chroma_server

QUESTIONS = [
    "How many drones did Russia launch at Ukraine last month?",
    "How many North Korean troops did Kim send to the Kursk region?",
]


def answer(http: httpx.Client, question: str) -> dict[str, Any]:
    r = http.post("/ask", json={"question": question})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def assert_citations_resolve(http: httpx.Client, body: dict[str, Any]) -> None:
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])} == {c["n"] for c in body["citations"]}
    for c in body["citations"]:
        article = http.get(f"/articles/{c['article_id']}")
        assert article.status_code == 200, f"cites {c['article_id']}, which this server cannot show"
        assert c["quote"] in " ".join(article.json()["text"].split())


@pytest.mark.timeout(400)
def test_two_api_processes_on_one_chroma_server(tmp_path: Path, chroma_server: ChromaServer) -> None:
    shared = {
        "QA_CHROMA_URL": chroma_server.url,
        "QA_COLLECTION_PREFIX": f"two{uuid.uuid4().hex[:8]}",
        "QA_LOG_LEVEL": "WARNING",
    }
    servers: list[QAServer] = []
    try:
        servers.append(start_qa_server(tmp_path / "a", env=shared))  # seeds the empty store
        servers.append(start_qa_server(tmp_path / "b", env={**shared, "QA_SEED_ON_START": "false"}))
        a = httpx.Client(base_url=servers[0].url, timeout=60)
        b = httpx.Client(base_url=servers[1].url, timeout=60)

        # Same store, same answers.
        assert a.get("/healthz").json()["articles"] == b.get("/healthz").json()["articles"] == 4
        for q in QUESTIONS:
            assert answer(a, q) | {"timings_ms": None} == answer(b, q) | {"timings_ms": None}

        # A ingests while B answers; every answer B gives cites only what B can show.
        markers = ["zq" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop")) for _ in range(12)]
        stored: list[str] = []

        def ingest() -> None:
            for i, m in enumerate(markers):
                art = {"id": f"two-{i}", "title": f"Harbor report {m}", "text": f"The {m} harbor reopened on Tuesday."}
                r = a.post("/articles", json=art)
                assert r.status_code == 200, r.text
                stored.append(art["id"])
                if i % 3 == 2:  # a new version of the previous one: its old chunks are deleted meanwhile
                    prev = markers[i - 1]
                    update = {
                        "id": f"two-{i - 1}",
                        "title": f"Harbor report {prev}",
                        "text": f"The {prev} harbor reopened on Tuesday. Ferries resumed on Wednesday.",
                    }
                    assert a.post("/articles", json=update).json()["updated"] == [f"two-{i - 1}"]

        writer = threading.Thread(target=ingest)
        writer.start()
        answered = 0
        while writer.is_alive() or answered < 4:
            body = answer(b, QUESTIONS[answered % 2])
            assert not body["abstained"]
            assert_citations_resolve(b, body)
            answered += 1
        writer.join()
        assert len(stored) == len(markers)

        # Afterwards B sees everything A acknowledged, and the two agree again.
        assert a.get("/articles").json()["total"] == b.get("/articles").json()["total"] == 4 + len(markers)
        for i, m in enumerate(markers):
            hits = b.get("/search", params={"q": m, "k": 3}).json()["hits"]
            assert hits and hits[0]["article_id"] == f"two-{i}"
        q = f"When did the {markers[3]} harbor reopen?"
        from_a, from_b = answer(a, q), answer(b, q)
        assert from_a | {"timings_ms": None} == from_b | {"timings_ms": None}
        assert "Tuesday" in from_b["answer"]
        assert_citations_resolve(b, from_b)
    finally:
        for s in servers:
            s.stop()
