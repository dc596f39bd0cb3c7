"""The offline, deterministic engine: a learned reader over verbatim source sentences.

One job a module: :mod:`.patterns` (what names, numbers and dates look like), :mod:`.question`
(what a question asks for), :mod:`.sentences` (the passages' sentences; what may be quoted is
:mod:`qa.prose`'s rule, shared with the briefing), :mod:`.candidates`,
:mod:`.features`, :mod:`.ranker` (the trained weights), :mod:`.short` (the asked-for value),
:mod:`.summaries`, and :mod:`.engine`, which puts them together.
"""

from qa.engines.extractive.engine import ExtractiveEngine
from qa.engines.extractive.question import Ask, classify, fits, roles_swapped
from qa.prose import usable

__all__ = ["Ask", "ExtractiveEngine", "classify", "fits", "roles_swapped", "usable"]
