"""Credentials in endpoint URLs never reach a message, a log line or a stored record."""

from __future__ import annotations

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
