"""Daily briefings: the day's stories, most newsworthy first, each told once with a cited summary.

One job a module: :mod:`~qa.briefing.clustering` (which articles tell one story),
:mod:`~qa.briefing.ranking` (news value and its reasons), :mod:`~qa.briefing.news` (what is not
news: housekeeping, opinion), :mod:`~qa.briefing.headlines`, :mod:`~qa.briefing.summaries`,
:mod:`~qa.briefing.cache`, :mod:`~qa.briefing.render` (Markdown and HTML) and
:mod:`~qa.briefing.service`, which puts them together. The wire shapes live in :mod:`qa.schemas`.
"""

from qa.briefing.clustering import THRESHOLD, cluster, lead_sentences, names_of, similarity, title_terms
from qa.briefing.service import DEFAULT_MAX_SECTIONS, NO_SUMMARY, BriefingEngine, BriefingService
from qa.schemas import Briefing, BriefingArticle, BriefingSection

__all__ = [
    "DEFAULT_MAX_SECTIONS",
    "NO_SUMMARY",
    "THRESHOLD",
    "Briefing",
    "BriefingArticle",
    "BriefingEngine",
    "BriefingSection",
    "BriefingService",
    "cluster",
    "lead_sentences",
    "names_of",
    "similarity",
    "title_terms",
]
