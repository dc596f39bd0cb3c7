"""Answer engines by name (a :class:`qa.plugins.Plugins` registry). Adding one: a module with a
class satisfying :class:`qa.engines.base.Engine` and a line in ``ENGINES`` below, or, from another
package, an entry point in the ``qa.engines`` group naming its factory (``name = "pkg.module:factory"``,
a callable of ``(Settings, Embedder)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qa.engines.base import Engine
from qa.errors import UnknownEngine
from qa.plugins import Plugins

if TYPE_CHECKING:  # config imports this module to check QA_ENGINE
    from qa.config import Settings
    from qa.embeddings import Embedder
    from qa.engines.extractive import ExtractiveEngine

EngineFactory = Callable[["Settings", "Embedder"], Engine]


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


ENGINES: Plugins[EngineFactory] = Plugins(
    "engine", "QA_ENGINE", {"extractive": _extractive, "llm": _llm}, error=UnknownEngine
)
OFFLINE = "extractive"  # needs no endpoint: the fallback of every other engine
PROMPTED = frozenset({"llm"})  # engines whose output depends on prompts/: their baselines record prompt hashes


def engine_names() -> list[str]:
    return ENGINES.names()


def check_engine(name: str) -> None:
    ENGINES.check(name)


def create_engine(name: str, settings: Settings, embedder: Embedder) -> Engine:
    return ENGINES.get(name)(settings, embedder)
