"""Scorers: each looks at one case's output and returns a score with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa.text import normalize_ws

ArticleText = Callable[[str], str | None]


@dataclass(frozen=True)
class Score:
    name: str
    value: float
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.value >= 1.0 - 1e-9


def _matches(alternative: str, text: str) -> bool:
    if alternative.startswith("re:"):
        return re.search(alternative[3:], text, re.I) is not None
    return alternative.lower() in text.lower()


def fact_recall(facts: list[list[str]], text: str, name: str = "fact_recall") -> Score:
    if not facts:
        return Score(name, 1.0)
    missing = [group for group in facts if not any(_matches(a, text) for a in group)]
    value = 1 - len(missing) / len(facts)
    return Score(name, value, "missing " + "; ".join(" | ".join(g) for g in missing) if missing else "")


def citation_validity(out: dict[str, Any], text_key: str, article_text: ArticleText) -> Score:
    """Markers resolve, every citation is used, every quote is verbatim in its article."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", out[text_key])}
    numbers = {c["n"] for c in out["citations"]}
    if markers - numbers:
        return Score("citation_validity", 0.0, f"marker(s) {sorted(markers - numbers)} resolve to no citation")
    if numbers - markers:
        return Score("citation_validity", 0.0, f"citation(s) {sorted(numbers - markers)} are never used")
    for c in out["citations"]:
        stored = article_text(c["article_id"])
        if stored is None:
            return Score("citation_validity", 0.0, f"[{c['n']}] cites unknown article {c['article_id']}")
        if normalize_ws(c["quote"]) not in normalize_ws(stored):
            return Score("citation_validity", 0.0, f"[{c['n']}] quote is not in the article: {c['quote'][:80]!r}")
    return Score("citation_validity", 1.0)


def citation_support(facts: list[list[str]], out: dict[str, Any], text_key: str) -> Score:
    """Each expected fact the answer states must be inside a quote it cites, not just in the text."""
    stated = [g for g in facts if any(_matches(a, out[text_key]) for a in g)]
    if not stated:
        return Score("citation_support", 1.0 if not facts else 0.0, "" if not facts else "no expected fact stated")
    quotes = " ".join(c["quote"] for c in out["citations"])
    unsupported = [g for g in stated if not any(_matches(a, quotes) for a in g)]
    value = 1 - len(unsupported) / len(stated)
    reason = "not in any cited quote: " + "; ".join(g[0] for g in unsupported) if unsupported else ""
    return Score("citation_support", value, reason)


def source_hit(expected_ids: set[str], out: dict[str, Any], ref: str) -> Score:
    cited = {c["article_id"] for c in out["citations"]}
    if cited & expected_ids:
        return Score("source_hit", 1.0)
    return Score("source_hit", 0.0, f"{ref!r} not cited (cited: {sorted(cited) or 'nothing'})")


def abstention(expected: bool, out: dict[str, Any]) -> Score:
    if out["abstained"] == expected:
        return Score("abstention", 1.0)
    if expected:
        return Score("abstention", 0.0, f"answered instead of abstaining: {out['answer'][:100]!r}")
    return Score("abstention", 0.0, "abstained on an answerable question")


def every_sentence_cited(text: str) -> Score:
    sentences = [s for s in re.split(r"(?<=\])\s+", text.strip()) if s]
    bare = [s for s in sentences if not re.search(r"\[\d+\]\s*$", s)]
    return Score("every_sentence_cited", 0.0 if bare else 1.0, f"uncited: {bare[0][:80]!r}" if bare else "")


def briefing_grouping(sections: list[list[str]], together: list[list[str]], apart: list[list[str]]) -> Score:
    where = {aid: i for i, ids in enumerate(sections) for aid in ids}
    problems = []
    for group in together:
        homes = {where.get(a) for a in group}
        if len(homes) != 1 or None in homes:
            problems.append(f"not in one section: {', '.join(group)}")
    for group in apart:
        placed = [where.get(a) for a in group]
        if None in placed or len(set(placed)) != len(placed):
            problems.append(f"should be apart: {', '.join(group)}")
    checks = len(together) + len(apart)
    value = 1 - len(problems) / checks if checks else 1.0
    return Score("briefing_grouping", value, "; ".join(problems))
