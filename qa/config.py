"""All settings in one place, read from the environment (prefix ``QA_``) or a ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


_NO_KEY = "{env} is set but holds no key: give at least one, or unset it to run without keys"


def _blank_free(part: str) -> str:
    """A comma-separated part without its whitespace and quotes: empty when it names no key."""
    return part.strip().strip("\"'").strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".qa-data"),
        description="Folder of the embedded Chroma store, the embedding cache and other state.",
    )
    store: str = Field(
        default="chroma",
        # Checked against the registry (plugins included) when services are built.
        description="The document store: chroma (embedded, or a server with QA_CHROMA_URL), or a plugin's "
        "(the qa.stores entry-point group).",
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
    embedder: str = Field(
        default="minilm",
        # Checked against the registry (plugins included) when services are built: config sits below it.
        description="minilm: all-MiniLM-L6-v2 offline (int8 ONNX from a wheel); "
        "openai: any OpenAI-compatible /v1/embeddings endpoint (QA_EMBED_BASE_URL, QA_EMBED_MODEL); "
        "or a plugin's (the qa.embedders entry-point group).",
    )
    embed_base_url: str | None = Field(default=None, description="e.g. http://host:8080/v1 (openai embedder)")
    embed_model: str | None = Field(default=None, description="The model name the embeddings endpoint serves.")
    embed_api_key: str | None = Field(default=None, description="Its key; else OPENAI_API_KEY; none for local servers.")
    embed_timeout_s: float = Field(default=30.0, gt=0, le=600, description="Per request to the endpoint.")
    embed_max_retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed request (with backoff).")
    embed_cache_max_rows: int = Field(
        default=200_000,
        ge=1_000,
        description="Vectors kept in QA_DATA_DIR/embeddings-cache.sqlite (about 1.6 KB each at 384 dims); the "
        "oldest written go first. Every question asked and every chunk version passes through the cache.",
    )
    embed_batch_size: int = Field(
        default=16, ge=1, le=1024, description="Texts per model run (minilm) or per request (openai)."
    )
    embed_threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = auto")
    embed_max_tokens: int = Field(default=256, ge=16, le=512)

    # Retrieval.
    default_k: int = Field(default=5, ge=1, le=50)
    rrf_k: int = Field(default=60, ge=1)
    candidates: int = Field(default=50, ge=5, le=1000, description="Per-retriever candidates fused by RRF.")
    lexical_index: Literal["disk", "memory"] = Field(
        default="disk",
        description="disk: a tantivy index in the data dir, updated per article and shared by processes; "
        "memory: bm25s in each process, rebuilt from the store after every write.",
    )
    recency_weight: float = Field(
        default=0.5,  # chosen by bench/tools/tune_recency.py, cross-validated by day
        ge=0,
        le=10,
        description="Weight of the recency vote in the fusion when a question gives as_of (0: no prior).",
    )
    min_confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Abstain below this calibrated confidence; unset: the trained reader's default.",
    )

    # Citations: the share of a sentence's content words its quote must hold (all its numbers always).
    min_support: float = Field(default=0.6, gt=0, le=1, description="Citation support needed to keep a sentence.")

    # Answer engines (later issues add more).
    engine: str = Field(
        default="extractive",
        # Checked against the registry (plugins included) when services are built: config sits below engines.
        description="an engine of qa.engines.registry: extractive | llm | a plugin's",
    )
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_max_tokens: int = Field(default=512, ge=16, le=8192)
    llm_json_mode: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        description="How the reply format is enforced: json_schema (strongest), json_object, or none.",
    )
    prompts_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "prompts")

    # HTTP.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Larger requests get 413.")
    idle_timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="A connection that sends nothing for this long is closed."
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="A request head must arrive whole within this of its first byte (slowloris); else 408 and closed.",
    )
    min_body_bytes_per_s: int = Field(
        default=1024,
        ge=1,
        description="A request body slower than this (judged over 5 s windows) gets 408 and is closed.",
    )
    max_header_bytes: int = Field(
        default=64 * 1024, ge=4096, le=16 * 1024 * 1024, description="Larger request heads are refused unread."
    )
    max_connections: int | None = Field(
        default=1000, ge=1, description="Connections (and requests) at once per process; beyond, 503."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses whose X-Forwarded-For / -Proto headers are believed "
        "(a reverse proxy's); none by default, so a client cannot choose its own address.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS; none by default."
    )

    # Access. Keys are compared in constant time and never logged; /healthz stays open for probes.
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys; when set, every route but /healthz needs "
        "'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
    )
    read_api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys that may only read: ask, search, summarize, briefings, articles "
        "and jobs; adding or deleting gets 403. Setting them turns keys on, like QA_API_KEYS.",
    )
    rate_limit: str | None = Field(
        default=None,
        description="Requests allowed per key (per client address without keys), e.g. '60/minute'; off when unset.",
    )
    auth_failure_limit: str | None = Field(
        default="20/minute",
        description="Wrong or missing keys allowed per client address, whether or not QA_RATE_LIMIT is set; "
        "beyond, 429. Empty: unlimited.",
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
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json (one object per line, for a log collector) | text | auto: text on a terminal, else json",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL")

    # Bounds on input.
    max_article_chars: int = Field(default=1_000_000, ge=1_000)
    max_chunks_per_article: int = Field(
        default=500, ge=1, description="Articles that would make more distinct chunks are refused."
    )
    max_near_copies: int = Field(
        default=20,
        ge=0,
        description="An article whose every chunk repeats (same words, same vector) this many other stored articles "
        "is refused as a flood of copies (0: never). Syndicated news runs a story under a few outlets' names.",
    )
    min_known_words: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Text (of 20 words or more) with a smaller share of its words in the MiniLM vocabulary is "
        "refused as unreadable: lorem ipsum, gibberish, mis-decoded files. Default: 0.5 with the minilm embedder, "
        "which reads English only; 0 (off) with any other, which may read other languages.",
    )
    compact_min_replaced: int = Field(
        default=10_000,
        ge=0,
        description="qa serve on an embedded store rebuilds its vector index from the stored vectors once the chunks "
        "replaced or deleted since the last rebuild are at least this many and at least as many as the live ones: "
        "Chroma keeps their room until then (0: never; `qa reindex --rebuild` by hand).",
    )
    compact_check_s: float = Field(
        default=300.0, gt=0, description="How often qa serve looks (QA_COMPACT_MIN_REPLACED)."
    )
    max_batch_articles: int = Field(default=1_000, ge=1)
    ingest_batch_chunks: int = Field(
        default=256,
        ge=1,
        le=10_000,
        description="Chunks embedded and written together; the articles of one such batch commit together.",
    )
    max_job_articles: int = Field(
        default=100_000, ge=1, description="Articles in one POST /ingest job (the body size limit applies too)."
    )

    # Where ingest jobs wait: a SQLite file in the data dir (one host), or a Redis every host shares.
    queue_url: str | None = Field(
        default=None,
        description="redis://host:6379/0 puts ingest jobs, their progress and the workers' heartbeats in "
        "Redis, so any API host answers for any job and `qa worker`s on any host run them; unset: "
        "a SQLite file in QA_DATA_DIR.",
    )
    job_step_articles: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="Articles per ingest job step (progress moves often, a crash redoes little).",
    )
    job_retention_days: float = Field(
        default=7.0, gt=0, le=3650, description="Finished ingest jobs are kept this long, then deleted (404 after)."
    )
    queue_dead_worker_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="A worker silent this long is taken for dead; another runs its unfinished steps (Redis queue).",
    )
    ingest_worker: bool = Field(
        default=True,
        description="Run ingest jobs inside `qa serve` too; false (qa serve --no-worker) leaves them to `qa worker`s.",
    )

    @field_validator("api_keys", "read_api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, v: object) -> object:
        # "a,b" in the environment is friendlier than a JSON list; JSON lists still work.
        if isinstance(v, str) and not v.lstrip().startswith("["):
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @model_validator(mode="before")
    @classmethod
    def _keys_given_are_keys(cls, data: object) -> object:
        # A key list that is set but blank (QA_API_KEYS=" , ", or "$(cat keys)" of an empty file)
        # would silently run the server open: refuse it instead.
        # Any whitespace counts as blank, not only spaces: a CRLF keys file gives "\r", and a key of
        # "\t" or a no-break space would otherwise be dropped later and leave no key at all.
        if isinstance(data, dict):
            for name in ("api_keys", "read_api_keys"):
                raw = data.get(name)
                if isinstance(raw, str) and not [p for p in raw.strip().strip("[]").split(",") if _blank_free(p)]:
                    raise ValueError(_NO_KEY.format(env=f"QA_{name.upper()}"))
        return data

    @field_validator("api_keys", "read_api_keys")
    @classmethod
    def _keys_are_trimmed(cls, v: list[str], info: ValidationInfo) -> list[str]:
        # A list given in code skips the comma split: trim and check its keys too.
        keys = [k.strip() for k in v]
        if v and not any(keys):
            raise ValueError(_NO_KEY.format(env=f"QA_{str(info.field_name).upper()}"))
        return [k for k in keys if k]

    @model_validator(mode="after")
    def _one_role_a_key(self) -> Settings:
        # A key in both lists would have whichever role the check happened to test first.
        if set(self.api_keys) & set(self.read_api_keys):
            raise ValueError("a key is in both QA_API_KEYS and QA_READ_API_KEYS: give each key one role")
        return self

    # Not a Literal: that would refuse "info" as typed in a shell, with pydantic's generic wording.
    @field_validator("log_level")
    @classmethod
    def _valid_level(cls, v: str) -> str:
        level = v.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{v!r} is not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
        return level

    @field_validator("queue_url")
    @classmethod
    def _valid_queue_url(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None
        if v is not None and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{v!r} is not a Redis URL such as redis://127.0.0.1:6379/0")
        return v

    @field_validator("rate_limit_storage")
    @classmethod
    def _valid_storage(cls, v: str) -> str:
        from limits.storage import SCHEMES

        scheme = v.split("://", 1)[0] if "://" in v else ""
        if scheme not in SCHEMES:
            raise ValueError(f"{v!r} is not a 'limits' storage URI such as memory:// or redis://host:6379")
        return v

    @model_validator(mode="after")
    def _engine_has_what_it_needs(self) -> Settings:
        # Checked at start, so a misconfigured server refuses to start instead of failing each request.
        # Not pydantic's HttpUrl: it rewrites the URL (a trailing slash on the host), and the SDK and
        # the identity of a served embedder must see the URL as given.
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise ValueError(f"QA_LLM_BASE_URL {self.llm_base_url!r} is not an http(s) URL such as http://host:8080/v1")
        if self.embed_base_url and not self.embed_base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"QA_EMBED_BASE_URL {self.embed_base_url!r} is not an http(s) URL such as http://host:8080/v1"
            )
        if self.embedder == "openai" and not (self.embed_base_url and self.embed_model):
            raise ValueError(
                "QA_EMBEDDER=openai needs QA_EMBED_BASE_URL (an OpenAI-compatible endpoint, e.g. "
                "https://api.openai.com/v1 or http://host:8080/v1) and QA_EMBED_MODEL (the model it serves)"
            )
        if self.engine == "llm":
            if not self.llm_base_url and not os.environ.get("OPENAI_API_KEY"):
                raise ValueError(
                    "QA_ENGINE=llm needs QA_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. http://host:8080/v1)"
                    " or OPENAI_API_KEY"
                )
            if not self.llm_model:
                raise ValueError("QA_ENGINE=llm needs QA_LLM_MODEL (the model name the endpoint serves)")
            # Found here, at start, not as a 500 on the first request.
            missing = [
                f"{task}.{part}.md"
                for task in ("ask", "summarize", "briefing")
                for part in ("system", "user")
                if not (self.prompts_dir / f"{task}.{part}.md").is_file()
            ]
            if missing:
                raise ValueError(
                    f"QA_PROMPTS_DIR {self.prompts_dir} lacks the LLM engine's prompts: {', '.join(missing)}"
                )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, v: str) -> str:
        # uvicorn ignores an entry it cannot read, so a typo would silently trust no proxy (or
        # believe no forwarded address): refuse it at start.
        import ipaddress

        for part in (p.strip() for p in v.split(",")):
            if not part or part == "*":
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"QA_TRUSTED_PROXIES: {part[:60]!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8, *)"
                ) from None
        return v

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _valid_rate(cls, v: str | None, info: ValidationInfo) -> str | None:
        if not v or not v.strip():
            return None
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError as exc:
            name = f"QA_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} {v!r} is not a rate such as '60/minute' or '10/second'") from exc
        return v

    def embedded(self) -> bool:
        return not self.chroma_url

    def known_words_bar(self) -> float:
        """QA_MIN_KNOWN_WORDS, or its default: the share of known words is of MiniLM's English
        vocabulary, so only the minilm embedder is held to it unless the bar is set."""
        if self.min_known_words is not None:
            return self.min_known_words
        return 0.5 if self.embedder == "minilm" else 0.0

    def check_data_dir(self) -> None:
        """Raise ``QAError`` naming QA_DATA_DIR unless the folder exists (or can be made) and takes writes."""
        from qa.errors import QAError

        probe = self.data_dir / ".qa-write-check"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise QAError(
                f"QA_DATA_DIR {self.data_dir} is not writable ({exc.strerror or exc}): "
                "the store, the embedding cache and briefings are kept there"
            ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
