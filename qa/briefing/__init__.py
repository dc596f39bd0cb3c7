"""Daily briefings: the day's stories, most newsworthy first, each told once with a cited summary.

One job a module: :mod:`~qa.briefing.clustering` (which articles tell one story),
:mod:`~qa.briefing.ranking` (news value and its reasons), :mod:`~qa.briefing.news` (what is not
news: housekeeping, opinion), :mod:`~qa.briefing.headlines`, :mod:`~qa.briefing.drafting`,
:mod:`~qa.briefing.cache`, :mod:`~qa.briefing.render` (Markdown and HTML) and
:mod:`~qa.briefing.service`, which puts them together. The wire shapes live in :mod:`qa.schemas`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.briefing.clustering import THRESHOLD, cluster, lead_sentences, names_of, similarity, title_terms
    from qa.briefing.service import DEFAULT_MAX_SECTIONS, NO_SUMMARY, BriefingEngine, BriefingService
    from qa.schemas import Briefing, BriefingArticle, BriefingLink, BriefingSection

# Loaded on first use, so that `qa briefing` can serve a cached day through qa.briefing.cache
# without importing the builder (chromadb, the splitter, the reader): a second saved on every call.
_HOMES = {
    "qa.briefing.clustering": ("THRESHOLD", "cluster", "lead_sentences", "names_of", "similarity", "title_terms"),
    "qa.briefing.service": ("DEFAULT_MAX_SECTIONS", "NO_SUMMARY", "BriefingEngine", "BriefingService"),
    "qa.schemas": ("Briefing", "BriefingArticle", "BriefingLink", "BriefingSection"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'qa.briefing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "DEFAULT_MAX_SECTIONS",
    "NO_SUMMARY",
    "THRESHOLD",
    "Briefing",
    "BriefingArticle",
    "BriefingEngine",
    "BriefingLink",
    "BriefingSection",
    "BriefingService",
    "cluster",
    "lead_sentences",
    "names_of",
    "similarity",
    "title_terms",
]
