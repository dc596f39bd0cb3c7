"""Credentials in endpoint URLs never reach a message, a log line or a stored record."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.embeddings_openai import OpenAIEmbedder, openai_identity
from qa.errors import EmbeddingEndpointError
from qa.redact import redact_url
from qa.testing.process import free_port


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:s3cret@host:8080/v1", "http://***@host:8080/v1"),
        ("https://tok@host/v1", "https://***@host/v1"),
        ("https://host/v1?api_key=s3cret&model=x", "https://host/v1?api_key=***&model=x"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
    ],
)
def test_credentials_are_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_unreachable_endpoint_with_credentials_is_named_without_them(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://admin:s3cret@127.0.0.1:{free_port()}/v1"
    embedder = OpenAIEmbedder(url, "m", timeout_s=2, max_retries=0)
    assert "s3cret" not in embedder.model_id and "s3cret" not in openai_identity("m", url)
    with pytest.raises(EmbeddingEndpointError) as err:
        embedder.embed(["x"])
    assert "s3cret" not in str(err.value) and "***@127.0.0.1" in str(err.value)
    with pytest.raises(EmbeddingEndpointError) as err:
        embedder.check_ready()
    assert "s3cret" not in str(err.value)
    assert "s3cret" not in caplog.text


def test_a_running_server_never_shows_or_logs_the_endpoints_credentials(tmp_path: Path) -> None:
    """The attack, replayed on a real `qa serve` whose embeddings endpoint URL holds a user and a
    password and is down: /readyz, /ask and POST /articles fail, saying which endpoint without
    them, and the server's log never holds them either (LLM endpoint included)."""
    import httpx

    from qa.testing.api_server import start_qa_server

    down = free_port()
    env = {
        "QA_EMBEDDER": "openai",
        "QA_EMBED_BASE_URL": f"http://admin:s3cret@127.0.0.1:{down}/v1",
        "QA_EMBED_MODEL": "m",
        "QA_EMBED_MAX_RETRIES": "0",
        "QA_ENGINE": "llm",
        "QA_LLM_BASE_URL": f"http://bot:t0ken@127.0.0.1:{down}/v1",
        "QA_LLM_MODEL": "m",
        "QA_SEED_ON_START": "false",
        "QA_LOG_LEVEL": "INFO",
    }
    with start_qa_server(tmp_path / "data", env=env) as server:
        answers = [
            httpx.get(f"{server.url}/readyz", timeout=60),
            httpx.post(f"{server.url}/ask", json={"question": "What did the council approve?"}, timeout=60),
            httpx.post(
                f"{server.url}/articles",
                json={"title": "Bridge", "text": "The bridge reopened on Tuesday."},
                timeout=60,
            ),
            httpx.get(f"{server.url}/healthz", timeout=60),
        ]
        assert answers[0].status_code == 503 and "***@127.0.0.1" in answers[0].text, answers[0].text
        assert [r.status_code for r in answers[1:3]] == [502, 502], [r.text for r in answers]  # the endpoint failed
        log = server.log_path.read_text(errors="replace")
    for shown in [*(r.text for r in answers), log]:
        assert "s3cret" not in shown and "t0ken" not in shown
