"""Many clients at once against a real `qa serve`: no errors, and nothing acknowledged is lost.

The short, bounded form of bench/load.py: 16 clients mixing new articles, new versions of their
own articles and questions; afterwards every 2xx-acknowledged article must be stored in its last
acknowledged version and be found by a search for the one word only that version contains.

Marked ``load``: a plain ``pytest`` leaves them out (tests/conftest.py); ``pytest -m load`` or
naming this file runs them, and `.ci/run` does so before the default suite. They check what is
lost, never a rate.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from qa.testing.api_server import start_qa_server
from qa.testing.chroma_server import ChromaServer
from qa.testing.load import LoadConfig, run

pytestmark = pytest.mark.load


@pytest.mark.timeout(300)
def test_sixteen_clients_mixing_ingest_and_ask_lose_nothing(tmp_path: Path) -> None:
    with start_qa_server(tmp_path / "data", env={"QA_LOG_LEVEL": "WARNING"}) as server:
        report = run(server.url, LoadConfig(clients=16, duration_s=8, max_requests=2_000, ingest_share=0.35))
    summary = report.as_dict()
    assert report.acknowledged > 0, summary  # the mix did store articles (how many is a rate: bench/load.py)
    assert report.requests_per_s.get("ask", 0) > 0, summary
    assert report.errors == {}, summary
    assert report.lost == [] and report.not_searchable == [], summary


@pytest.mark.timeout(300)
def test_every_kind_of_read_beside_ingest_gets_no_error(tmp_path: Path) -> None:
    """Issue 30's mix: ask, a streamed ask (which must end with its answer), search, summarize,
    briefing, list and get, with articles arriving; no 5xx, nothing acknowledged lost."""
    with start_qa_server(tmp_path / "data", env={"QA_LOG_LEVEL": "WARNING"}) as server:
        report = run(server.url, LoadConfig(clients=8, duration_s=8, max_requests=2_000, ingest_share=0.1, reads="all"))
    summary = report.as_dict()
    assert set(report.requests_per_s) >= {"ask", "stream", "search", "summarize", "briefing", "list", "get"}, summary
    assert report.errors == {}, summary
    assert report.lost == [] and report.not_searchable == [], summary


@pytest.mark.chroma_server
@pytest.mark.timeout(300)
def test_two_workers_on_a_chroma_server_lose_nothing_under_load(tmp_path: Path, chroma_server: ChromaServer) -> None:
    # The production shape: `qa serve --workers 2` on a shared Chroma server. Updates delete old
    # chunks in one process while the other queries, a race the embedded store never sees.
    env = {
        "QA_CHROMA_URL": chroma_server.url,
        "QA_COLLECTION_PREFIX": f"load{uuid.uuid4().hex[:8]}",
        "QA_LOG_LEVEL": "WARNING",
    }
    with start_qa_server(tmp_path / "data", env=env, extra_args=["--workers", "2"]) as server:
        report = run(server.url, LoadConfig(clients=16, duration_s=8, max_requests=2_000, ingest_share=0.35))
    summary = report.as_dict()
    assert report.acknowledged > 0, summary
    assert report.errors == {}, summary
    assert report.lost == [] and report.not_searchable == [], summary
