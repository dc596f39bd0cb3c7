"""An embedder served over HTTP: any OpenAI-compatible ``/v1/embeddings`` endpoint
(``QA_EMBEDDER=openai``), through the ``openai`` SDK."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import EmbeddingEndpointError
from qa.redact import redact_url

if TYPE_CHECKING:
    from openai import OpenAI


def normalise(v: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32: what every embedder returns."""
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def openai_identity(model: str, base_url: str) -> str:
    """Which model at which endpoint: two servers may serve different weights under one name."""
    return f"openai:{model}@{redact_url(base_url).rstrip('/')}"  # a name, shown and stored: no credentials


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint, through the ``openai`` SDK.

    Texts go in requests of ``batch_size``; each request has the SDK's timeout and its retries with
    backoff (connection errors, 408, 409, 429 and 5xx). Rows are L2-normalised, as the protocol
    promises: the store's cosine space would not need it, but the dot products elsewhere do. The
    dimension is whatever the endpoint returns, learnt on the first call (endpoints do not say it).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        batch_size: int = 16,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        client: OpenAI | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size >= 1 is required")
        self.base_url = base_url.rstrip("/")  # only for the client that connects
        self.shown_url = redact_url(self.base_url)  # for every message and log line
        self.model = model
        self.model_id = openai_identity(model, base_url)
        self.batch_size = batch_size
        self._limits = f"timeout {timeout_s:g} s, {max_retries} retries"  # named in errors: the knobs to turn
        if client is None:
            from openai import OpenAI

            # The SDK insists on a key; local servers (llama.cpp, Ollama, TEI) take any.
            key = api_key or os.environ.get("OPENAI_API_KEY") or "none"
            client = OpenAI(base_url=self.base_url, api_key=key, timeout=timeout_s, max_retries=max_retries)
        self._client = client
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._request(["dimension"])  # one tiny request sets it
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._request(texts[lo : lo + self.batch_size]) for lo in range(0, len(texts), self.batch_size)]
        return normalise(np.concatenate(parts))

    def _request(self, batch: Sequence[str]) -> np.ndarray:
        import openai

        try:
            resp = self._client.embeddings.create(
                model=self.model,
                input=[t if t.strip() else " " for t in batch],  # an empty input is refused by most servers
                encoding_format="float",  # base64 (the SDK's default) is not spoken by every server
            )
        except openai.OpenAIError as exc:
            raise EmbeddingEndpointError(
                f"the embeddings endpoint {self.shown_url} (model {self.model}; {self._limits}) "
                f"failed: {self._scrub(exc)}"
            ) from exc
        data = sorted(resp.data, key=lambda d: d.index)
        vecs = np.asarray([d.embedding for d in data], dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(batch) or not np.isfinite(vecs).all():
            raise EmbeddingEndpointError(
                f"the embeddings endpoint {self.shown_url} returned {len(data)} vectors of shape "
                f"{vecs.shape[1:]} for {len(batch)} texts, or non-finite values"
            )
        if self._dim is not None and vecs.shape[1] != self._dim:
            raise EmbeddingEndpointError(
                f"the embeddings endpoint {self.shown_url} changed dimension ({self._dim} to {vecs.shape[1]}): "
                f"is another model served under the name {self.model!r}?"
            )
        self._dim = int(vecs.shape[1])
        return vecs

    def _scrub(self, exc: BaseException) -> str:
        """The error in one line, with the endpoint's credentials masked if the SDK quoted its URL."""
        return _one_line(exc).replace(self.base_url, self.shown_url)

    def check_ready(self) -> None:
        """One tiny embedding, short and not retried: a readiness probe must answer quickly, and
        every query embeds its question here, so an endpoint that cannot embed is not ready."""
        import openai

        try:
            self._client.with_options(timeout=3.0, max_retries=0).embeddings.create(
                model=self.model, input=["ready"], encoding_format="float"
            )
        except openai.OpenAIError as exc:
            raise EmbeddingEndpointError(
                f"the embeddings endpoint {self.shown_url} (model {self.model}) does not answer: {self._scrub(exc)}"
            ) from exc
