"""The LLM engine: any OpenAI-compatible chat endpoint, through the ``openai`` SDK.

The model gets the retrieved passages as delimited, numbered data and must reply with a JSON
object (validated by pydantic). One repair retry on invalid output; after that an
:class:`EngineError`, on which the answer service falls back to the extractive engine.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import openai
import pydantic_core
from pydantic import BaseModel, Field, ValidationError

from qa.config import Settings
from qa.engines.base import Draft, DraftSentence, Source, Task
from qa.errors import EngineError, InvalidInput, Overloaded
from qa.prompts import Prompt, load_prompt

log = logging.getLogger(__name__)

ANSWER_SENTENCES = 3  # the ask prompt's "one to three sentences"
BRIEFING_SENTENCES = 5


class ReplySentence(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    sources: list[int] = Field(default_factory=list)
    quote: str | None = None


class Reply(BaseModel):
    abstain: bool = False
    headline: str | None = None
    sentences: list[ReplySentence] = Field(default_factory=list, max_length=12)


# The schema the model is held to (llama.cpp and vLLM turn it into a grammar). Unlike ``Reply``,
# it bounds every string and list, so any reply the grammar allows fits in ``max_tokens``: a small
# model that rambles inside a string is stopped by the grammar, not cut off mid-JSON.
_CHARS_PER_TOKEN = 3  # conservative for English text in JSON, escapes included
_OVERHEAD_CHARS = 60  # keys, quotes and brackets of one sentence object
_MIN_FIELD_CHARS = 80


def wire_schema(max_sentences: int, n_sources: int, max_tokens: int, headline: bool = False) -> dict[str, Any]:
    """A JSON schema for a reply of at most ``max_sentences`` that cannot outgrow ``max_tokens``."""
    budget = max_tokens * _CHARS_PER_TOKEN - (200 if headline else 40)
    # Fewer sentences when the budget cannot hold this many of the shortest useful length.
    max_sentences = max(1, min(max_sentences, budget // (2 * (_MIN_FIELD_CHARS + _OVERHEAD_CHARS))))
    field_chars = max(_MIN_FIELD_CHARS, budget // max_sentences // 2 - _OVERHEAD_CHARS)
    sentence = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": field_chars},
            "sources": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": max(1, n_sources)},
                "minItems": 1,
                "maxItems": min(3, max(1, n_sources)),
            },
            "quote": {"type": "string", "maxLength": field_chars},
        },
        "required": ["text", "sources", "quote"],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {
        "abstain": {"type": "boolean"},
        "sentences": {"type": "array", "items": sentence, "maxItems": max_sentences},
    }
    if headline:
        properties["headline"] = {"type": "string", "maxLength": 120}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.M)


def complete_sentences(raw: str) -> list[ReplySentence]:
    """The sentences of a reply still being written that are complete: each one the model has
    begun another after. Stops at the first that is invalid (the whole reply is checked later)."""
    start = raw.find("{")
    try:
        got = pydantic_core.from_json(raw[start:], allow_partial=True) if start >= 0 else None
    except ValueError:
        return []
    items = got.get("sentences") if isinstance(got, dict) else None
    done: list[ReplySentence] = []
    for item in items[:-1] if isinstance(items, list) else []:
        try:
            done.append(ReplySentence.model_validate(item))
        except ValidationError:
            break
    return done


def parse_reply(raw: str) -> Reply:
    """The JSON object in ``raw`` (tolerating a code fence or chatter around it)."""
    text = _FENCE.sub("", raw.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the reply holds no JSON object")
    return Reply.model_validate(json.loads(text[start : end + 1]))


# Any case and spacing: `</Source>`, `< /SOURCE`, `<source` all open or close a block to a model.
_DELIMITER = re.compile(r"<\s*/?\s*source", re.IGNORECASE)


def render_sources(sources: Sequence[Source], max_chars: int = 2000) -> str:
    """Passages as delimited data. Delimiters inside a passage are defused so it cannot close its block."""
    blocks = []
    for s in sources:
        a = s.hit.article
        body = _DELIMITER.sub(lambda m: "‹" + m.group(0)[1:], s.hit.chunk.text[:max_chars])
        day = a.published.isoformat()[:10] if a.published else "undated"
        attrs = f'n="{s.n}" title="{_attr(a.title)}" outlet="{_attr(a.source or "unknown")}" published="{day}"'
        blocks.append(f"<source {attrs}>\n{body}\n</source>")
    return "\n\n".join(blocks)


def _attr(v: str) -> str:
    return v.replace('"', "'").replace("<", "‹").replace("\n", " ")


def draft_sentence(s: ReplySentence) -> DraftSentence:
    return DraftSentence(text=s.text, cites=s.sources, quotes={n: s.quote for n in s.sources} if s.quote else {})


def to_draft(reply: Reply, engine: str, version: str) -> Draft:
    return Draft(
        sentences=[draft_sentence(s) for s in reply.sentences],
        abstained=reply.abstain or not reply.sentences,
        engine=engine,
        prompt_version=version,
    )


class LLMEngine:
    name = "llm"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        prompts_dir: Any,
        *,
        max_tokens: int = 512,
        json_mode: str = "json_schema",
        max_in_flight: int = 4,
        queue_wait_s: float = 2.0,
    ) -> None:
        if json_mode not in ("json_schema", "json_object", "none"):
            raise InvalidInput(f"QA_LLM_JSON_MODE must be json_schema, json_object or none, not {json_mode!r}")
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.json_mode = json_mode
        # A slow endpoint must not pile up every request thread behind it: past this many calls
        # a request waits briefly, then is told to come back (503 + Retry-After).
        self.max_in_flight = max_in_flight
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._queue_wait_s = queue_wait_s
        self.prompts: dict[str, Prompt] = {t: load_prompt(prompts_dir, t) for t in ("ask", "summarize", "briefing")}

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMEngine:
        if not settings.llm_base_url and not os.environ.get("OPENAI_API_KEY"):
            raise InvalidInput("QA_ENGINE=llm needs QA_LLM_BASE_URL (an OpenAI-compatible endpoint) or OPENAI_API_KEY")
        if not settings.llm_model:
            raise InvalidInput("QA_ENGINE=llm needs QA_LLM_MODEL (the model name the endpoint serves)")
        client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
        return cls(
            client,
            settings.llm_model,
            settings.prompts_dir,
            max_tokens=settings.llm_max_tokens,
            json_mode=settings.llm_json_mode,
            max_in_flight=settings.llm_max_in_flight,
            queue_wait_s=settings.llm_queue_wait_s,
        )

    def prompt_version(self, task: Task) -> str | None:
        return self.prompts[task].version

    def identity(self) -> str:
        versions = ",".join(f"{t}={p.version}" for t, p in sorted(self.prompts.items()))
        return f"{self.name}:{self.model}:{versions}"

    def check_ready(self) -> None:
        # A cheap call every OpenAI-compatible server has; short, and not retried: a probe must be quick.
        try:
            self.client.with_options(timeout=3.0, max_retries=0).models.list()
        except openai.OpenAIError as exc:
            raise EngineError(f"the LLM endpoint does not answer: {_short(exc)}") from exc

    # -- the model call -----------------------------------------------------------------------

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._queue_wait_s):
            raise Overloaded(
                f"all {self.max_in_flight} LLM slots are busy (QA_LLM_MAX_IN_FLIGHT); try again shortly",
                retry_after_s=max(1, math.ceil(self._queue_wait_s)),
            )
        try:
            yield
        finally:
            self._slots.release()

    def _create(self, messages: list[dict[str, str]], schema: dict[str, Any], stream: bool = False) -> Any:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": 0,
            "stream": stream,
        }
        # A schema constrains keys and types, not just syntax: small models keep to it far better.
        if self.json_mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema},
            }
        elif self.json_mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        try:
            if stream:  # the caller holds the slot for as long as it reads the stream
                return self.client.chat.completions.create(**kwargs)
            with self._slot():
                return self.client.chat.completions.create(**kwargs)
        except openai.APITimeoutError as exc:
            raise EngineError(f"the LLM endpoint timed out: {exc}") from exc
        except openai.APIConnectionError as exc:
            raise EngineError(f"cannot reach the LLM endpoint: {exc}") from exc
        except openai.APIStatusError as exc:
            raise EngineError(f"the LLM endpoint answered {exc.status_code}: {exc.message}") from exc

    def _reply(self, messages: list[dict[str, str]], schema: dict[str, Any], first: str | None = None) -> Reply:
        """Parse the model's reply; on invalid output ask once more, showing what was wrong."""
        raw = first if first is not None else self._content(self._create(messages, schema))
        try:
            return parse_reply(raw)
        except (ValueError, ValidationError) as exc:
            log.info("LLM reply invalid (%s); asking for a repair", exc)
            repair = [
                *messages,
                {"role": "assistant", "content": raw[:4000]},
                {
                    "role": "user",
                    "content": f"That reply was not valid ({_short(exc)}). "
                    "Reply again with only the JSON object in the required form.",
                },
            ]
            raw2 = self._content(self._create(repair, schema))
            try:
                return parse_reply(raw2)
            except (ValueError, ValidationError) as exc2:
                raise EngineError(f"the LLM gave invalid output twice ({_short(exc2)})") from exc2

    @staticmethod
    def _content(completion: Any) -> str:
        try:
            return str(completion.choices[0].message.content or "")
        except (AttributeError, IndexError) as exc:
            raise EngineError("the LLM endpoint returned no choices") from exc

    # -- Engine protocol ----------------------------------------------------------------------

    def _messages(self, task: Task, sources: Sequence[Source], **values: str) -> list[dict[str, str]]:
        return self.prompts[task].render(sources=render_sources(sources), **values)

    def _schema(self, max_sentences: int, sources: Sequence[Source], headline: bool = False) -> dict[str, Any]:
        return wire_schema(max_sentences, len(sources), self.max_tokens, headline)

    def answer(self, question: str, sources: Sequence[Source]) -> Draft:
        schema = self._schema(ANSWER_SENTENCES, sources)
        reply = self._reply(self._messages("ask", sources, question=question), schema)
        return to_draft(reply, self.name, self.prompts["ask"].version)

    def summarize(self, topic: str | None, sources: Sequence[Source], max_sentences: int = 5) -> Draft:
        heading = f"Topic: {topic}" if topic else "Summarize the article these passages come from."
        reply = self._reply(self._messages("summarize", sources, topic=heading), self._schema(max_sentences, sources))
        return to_draft(reply, self.name, self.prompts["summarize"].version)

    def briefing(self, day: str, sources: Sequence[Source]) -> tuple[str | None, Draft]:
        schema = self._schema(BRIEFING_SENTENCES, sources, headline=True)
        reply = self._reply(self._messages("briefing", sources, date=day), schema)
        return reply.headline, to_draft(reply, self.name, self.prompts["briefing"].version)

    def stream_answer(self, question: str, sources: Sequence[Source]) -> Iterator[DraftSentence | Draft]:
        messages = self._messages("ask", sources, question=question)
        schema = self._schema(ANSWER_SENTENCES, sources)
        with self._slot():  # held while the stream is read; released if the client goes away
            raw, emitted = yield from self._stream_sentences(messages, schema)
        draft = to_draft(self._reply(messages, schema, first=raw), self.name, self.prompts["ask"].version)
        yield from draft.sentences[emitted:]  # the last sentence is complete only when the reply is
        yield draft

    def _stream_sentences(
        self, messages: list[dict[str, str]], schema: dict[str, Any]
    ) -> Generator[DraftSentence, None, tuple[str, int]]:
        """Yield each sentence, citations and quote included, once the model has started the next
        one; return the whole raw reply and how many sentences were yielded."""
        buf, emitted = "", 0
        try:
            for event in self._create(messages, schema, stream=True):
                delta = event.choices[0].delta.content if event.choices else None
                if not delta:
                    continue
                buf += delta
                if "}" not in delta and "{" not in delta:  # no sentence object can have closed
                    continue
                done = complete_sentences(buf)
                for s in done[emitted:]:
                    yield draft_sentence(s)
                emitted = max(emitted, len(done))
        except openai.OpenAIError as exc:
            raise EngineError(f"the LLM stream failed: {exc}") from exc
        return buf, emitted


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
