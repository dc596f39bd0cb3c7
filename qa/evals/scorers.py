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


_BARE_NUMBER = re.compile(r"[\d.,]+")


def _matches(alternative: str, text: str) -> bool:
    if alternative.startswith("re:"):
        return re.search(alternative[3:], text, re.I) is not None
    if _BARE_NUMBER.fullmatch(alternative):
        # A bare number matches as a whole number: "20" is not in "2025", nor "60" in "1,600".
        return re.search(rf"(?<![\w.,]){re.escape(alternative)}(?![\w]|[.,]\d)", text) is not None
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


def must_not(distractors: list[str], text: str) -> Score:
    """Facts from the same articles that a focused answer would not state."""
    said = [d for d in distractors if _matches(d, text)]
    return Score("must_not", 0.0 if said else 1.0, "states what it should not: " + "; ".join(said) if said else "")


# Per case kind: the most an answer may say. A reader answers in a value and a sentence or two; a
# summary in a handful. An engine that dumps its passages fails here whatever facts it contains.
LENGTH_CAPS: dict[str, tuple[int, int]] = {"ask": (3, 800), "summary": (6, 1500)}


def concise(kind: str, text: str) -> Score:
    """At most the kind's number of sentences (citation groups) and characters, markers aside."""
    max_sentences, max_chars = LENGTH_CAPS[kind]
    plain = re.sub(r"\s*\[\d+\]", "", text).strip()
    sentences = len(re.findall(r"\[\d+\](?:\s*\[\d+\])*(?:\s|$)", text)) or 1
    problems = []
    if sentences > max_sentences:
        problems.append(f"{sentences} sentences (at most {max_sentences})")
    if len(plain) > max_chars:
        problems.append(f"{len(plain):,} characters (at most {max_chars:,})")
    return Score("concise", 0.0 if problems else 1.0, "; ".join(problems))


def leads_with_answer(facts: list[list[str]], text: str) -> Score:
    """The first sentence states an expected fact: what a reader sees first ("Three people.", for
    "how many were injured?") must be the answer, not a neighbouring value of the right kind."""
    if not facts:
        return Score("lead", 1.0)
    m = re.search(r"\[\d+\](?:\s*\[\d+\])*", text)
    first = text[: m.end()] if m else text
    if any(_matches(a, first) for group in facts for a in group):
        return Score("lead", 1.0)
    plain = re.sub(r"\s*\[\d+\]", "", first).strip()
    return Score("lead", 0.0, f"leads with {plain[:80]!r}, which states no expected fact")


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


def briefing_top(sections: list[list[str]], top: list[list[str]], labels: list[str]) -> Score:
    """Each named story has an article among the first three sections."""
    first = {aid for ids in sections[:3] for aid in ids}
    missing = [label for ids, label in zip(top, labels, strict=True) if not first & set(ids)]
    value = 1 - len(missing) / len(top) if top else 1.0
    return Score("briefing_top", value, "not in the top 3: " + "; ".join(missing) if missing else "")


def briefing_facts(checks: list[tuple[str, str | None, list[list[str]]]]) -> Score:
    """``(story label, its section's summary or None, facts)``: every fact group stated."""
    if not checks:
        return Score("briefing_facts", 1.0)
    problems, total = [], 0.0
    for label, summary, facts in checks:
        if summary is None:
            problems.append(f"{label}: in no section")
            continue
        s = fact_recall(facts, summary)
        total += s.value
        if not s.passed:
            problems.append(f"{label}: {s.reason}")
    return Score("briefing_facts", total / len(checks), "; ".join(problems))


_CUT_HEADLINE = re.compile(r"(\.\.\.|…)\s*$")


def briefing_clean(sections: list[dict[str, Any]], must_not_say: list[str]) -> Score:
    """No summary states what an editor would cut (the case's ``must_not``), and no headline was
    left cut off ("…")."""
    problems = [f"headline cut off: {s['headline'][:60]!r}" for s in sections if _CUT_HEADLINE.search(s["headline"])]
    for s in sections:
        said = [d for d in must_not_say if _matches(d, s["summary"])]
        if said:
            problems.append(f"{s['headline'][:40]!r} states {'; '.join(said)}")
    checks = len(sections) * (1 + bool(must_not_say)) or 1
    return Score("briefing_clean", max(0.0, 1 - len(problems) / checks), "; ".join(problems))
