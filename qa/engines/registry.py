"""Answer engines by name. Adding one: a module with a class satisfying
:class:`qa.engines.base.Engine`, a factory line here, and its name in ``Settings.engine``."""

from __future__ import annotations

from collections.abc import Callable

from qa.config import Settings
from qa.embeddings import Embedder
from qa.engines.base import Engine

EngineFactory = Callable[[Settings, Embedder], Engine]


def _extractive(settings: Settings, embedder: Embedder) -> Engine:
    from qa.engines.extractive import ExtractiveEngine

    return ExtractiveEngine(embedder)


def _llm(settings: Settings, embedder: Embedder) -> Engine:
    from qa.engines.llm import LLMEngine

    return LLMEngine.from_settings(settings)


ENGINES: dict[str, EngineFactory] = {"extractive": _extractive, "llm": _llm}
OFFLINE = "extractive"  # needs no endpoint: the fallback of every other engine


def create_engine(name: str, settings: Settings, embedder: Embedder) -> Engine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})") from None
    return factory(settings, embedder)
