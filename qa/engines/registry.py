"""Answer engines by name. Adding one: a module with a class satisfying
:class:`qa.engines.base.Engine` and a line in ``ENGINES`` below, or, from another package, an entry
point in the ``qa.engines`` group naming its factory (``name = "pkg.module:factory"``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from qa.engines.base import Engine
from qa.errors import UnknownEngine

if TYPE_CHECKING:  # config imports this module to check QA_ENGINE
    from qa.config import Settings
    from qa.embeddings import Embedder
    from qa.engines.extractive import ExtractiveEngine

EngineFactory = Callable[["Settings", "Embedder"], Engine]
ENTRY_POINT_GROUP = "qa.engines"


def offline_engine(settings: Settings, embedder: Embedder) -> ExtractiveEngine:
    """The offline engine, typed as itself: besides answering, it judges other engines' evidence
    (``evidence_confidence``) and knows the reader's chosen confidence floor."""
    from qa.engines.extractive import ExtractiveEngine

    return ExtractiveEngine(embedder)


def _extractive(settings: Settings, embedder: Embedder) -> Engine:
    return offline_engine(settings, embedder)


def _llm(settings: Settings, embedder: Embedder) -> Engine:
    from qa.engines.llm import LLMEngine

    return LLMEngine.from_settings(settings)


ENGINES: dict[str, EngineFactory] = {"extractive": _extractive, "llm": _llm}
OFFLINE = "extractive"  # needs no endpoint: the fallback of every other engine
PROMPTED = frozenset({"llm"})  # engines whose output depends on prompts/: their baselines record prompt hashes


@cache
def _plugins() -> dict[str, EntryPoint]:
    # Entry points are listed once per process; a plugin's module is imported only when it is used.
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in ENGINES}


def engine_names() -> list[str]:
    return sorted({*ENGINES, *_plugins()})


def check_engine(name: str) -> None:
    if name not in ENGINES and name not in _plugins():
        raise UnknownEngine(f"unknown engine {name!r} in QA_ENGINE (known: {', '.join(engine_names())})")


def create_engine(name: str, settings: Settings, embedder: Embedder) -> Engine:
    check_engine(name)
    factory = ENGINES.get(name) or _plugins()[name].load()
    return factory(settings, embedder)
