"""All settings in one place, read from the environment (prefix ``QA_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".qa-data"),
        description="Folder of the embedded Chroma store, the embedding cache and other state.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="Use a Chroma server (e.g. http://127.0.0.1:8001) instead of the embedded store.",
    )
    collection_prefix: str = Field(default="qa", description="Prefix of the Chroma collections.")
    seed_dir: Path = Field(default=_REPO_SEEDS, description="Articles loaded on first start.")
    seed_on_start: bool = Field(default=True, description="Load seed_dir when the store is empty.")

    # Chunking: characters, sentence-aware.
    chunk_size: int = Field(default=1000, ge=100, le=20_000)
    chunk_overlap: int = Field(default=150, ge=0, le=5_000)

    # Embeddings.
    embed_batch_size: int = Field(default=16, ge=1, le=1024)
    embed_threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = auto")
    embed_max_tokens: int = Field(default=256, ge=16, le=512)

    # Retrieval.
    default_k: int = Field(default=5, ge=1, le=50)
    rrf_k: int = Field(default=60, ge=1)
    candidates: int = Field(default=50, ge=5, le=1000, description="Per-retriever candidates fused by RRF.")

    # Answer engines (later issues add more).
    engine: str = Field(default="extractive", description="extractive | llm")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_max_tokens: int = Field(default=512, ge=16, le=8192)
    llm_json_mode: str = Field(
        default="json_schema",
        description="How the reply format is enforced: json_schema (strongest), json_object, or none.",
    )
    prompts_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "prompts")

    # HTTP.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Larger requests get 413.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS; none by default."
    )

    # Access. Keys are compared in constant time and never logged; /healthz stays open for probes.
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys; when set, every route but /healthz needs "
        "'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
    )
    rate_limit: str | None = Field(
        default=None,
        description="Requests allowed per key (per client address without keys), e.g. '60/minute'; off when unset.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live (a 'limits' storage URI); memory is per process.",
    )

    # Bounded work: over the limit a request gets 503 + Retry-After instead of queueing without end.
    llm_max_in_flight: int = Field(default=4, ge=1, le=1024, description="LLM calls at once, per process.")
    llm_queue_wait_s: float = Field(
        default=2.0, ge=0, le=600, description="How long a request waits for a free LLM slot before 503."
    )

    # Logs.
    log_format: str = Field(default="json", description="json (one object per line) | text")
    log_level: str = Field(default="INFO")

    # Bounds on input.
    max_article_chars: int = Field(default=1_000_000, ge=1_000)
    max_batch_articles: int = Field(default=1_000, ge=1)

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, v: object) -> object:
        # "a,b" in the environment is friendlier than a JSON list; JSON lists still work.
        if isinstance(v, str) and not v.lstrip().startswith("["):
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @field_validator("rate_limit")
    @classmethod
    def _valid_rate(cls, v: str | None) -> str | None:
        if not v:
            return None
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError as exc:
            raise ValueError(f"QA_RATE_LIMIT {v!r} is not a rate such as '60/minute' or '10/second'") from exc
        return v

    @field_validator("log_format")
    @classmethod
    def _valid_format(cls, v: str) -> str:
        if v not in ("json", "text"):
            raise ValueError("QA_LOG_FORMAT must be json or text")
        return v

    def embedded(self) -> bool:
        return not self.chroma_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
