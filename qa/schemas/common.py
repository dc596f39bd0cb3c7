"""The wire shapes every route shares: health, and errors."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str
    # Only for a caller with a key where QA_API_KEYS is set: a probe without one learns only "ok".
    articles: int | None = None
    chunks: int | None = None
    engine: str | None = None
    store: str | None = None
    self_retrieval: float | None = Field(
        default=None,
        description="Share of 50 sampled chunks that their own stored vectors find among their 5 nearest "
        "(below 0.9: the vector index is degraded, as by a flood of near-copies).",
    )
    replaced_chunks: int | None = Field(
        default=None,
        description="Chunks replaced or deleted since the vector index was made: it keeps their room until a "
        "rebuild (on an embedded store, qa serve rebuilds on its own: QA_COMPACT_MIN_REPLACED).",
    )


class ErrorBody(BaseModel):
    type: str = Field(description="Machine-readable error kind, e.g. invalid_input, not_found.")
    message: str = Field(description="What is wrong, in words a user can act on.")
    details: list[dict[str, object]] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
    request_id: str | None = None
