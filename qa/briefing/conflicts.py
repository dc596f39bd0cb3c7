"""Where a story's articles disagree on a figure ("64 people aboard" / "67 people aboard").

Only counts are compared, in the articles' leads, keyed by the two content words after the
number, so "3 people killed" and "5 people injured" are different facts, not a conflict. When the
articles carry times, the latest report is named as the one to prefer; a bare date says nothing
about which came first, so then the conflict is only reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.briefing.clustering import Doc
from qa.briefing.news import words

_COUNT = re.compile(r"(?<![\w$.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w%.,]\d|%|\w)\s+((?:[A-Za-z][\w'-]*\s+){0,4})")
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_FUNCTION = words(
    "a an the of in on at to for from with by and or were was are is be been have has had who that more than"
)


@dataclass(frozen=True)
class Figure:
    value: int
    key: tuple[str, ...]
    text: str  # "64 people aboard"
    doc: Doc


def figures(doc: Doc) -> list[Figure]:
    out = []
    for sentence in doc.lead:
        for m in _COUNT.finditer(sentence):
            value = int(m.group(1).replace(",", ""))
            if 1900 <= value <= 2100 and "," not in m.group(1):
                continue  # a year
            words = [w for w in _WORD.findall(m.group(2)) if w.lower() not in _FUNCTION]
            if len(words) < 2 or words[0][0].isupper():
                continue  # "64 Kansas…": not a count of something
            key = (words[0].lower(), words[1].lower())
            out.append(Figure(value, key, f"{m.group(1)} {words[0]} {words[1]}", doc))
    return out


def conflicts(docs: Sequence[Doc]) -> list[str]:
    """One line per figure the story's articles give differently."""
    by_key: dict[tuple[str, ...], list[Figure]] = {}
    for d in docs:
        for f in figures(d):
            by_key.setdefault(f.key, []).append(f)
    lines = []
    for found in by_key.values():
        values = {f.value for f in found}
        if len(values) < 2 or len({id(f.doc) for f in found}) < 2:
            continue
        # One mention per value: the latest report that gave it.
        latest: dict[int, Figure] = {}
        for f in found:
            if f.value not in latest or f.doc.when > latest[f.value].doc.when:
                latest[f.value] = f
        ordered = sorted(latest.values(), key=lambda f: f.doc.when)
        said = "; ".join(f"{f.text} ({f.doc.meta.source or 'unknown outlet'}, {_when(f.doc)})" for f in ordered)
        newest = ordered[-1]
        timed = newest.doc.when.time().isoformat() != "00:00:00" and newest.doc.when > ordered[-2].doc.when
        prefer = f"; the latest report says {newest.text}" if timed else ""
        lines.append(f"Reports differ: {said}{prefer}.")
    return lines


def _when(doc: Doc) -> str:
    p = doc.meta.published
    if isinstance(p, dt.datetime):
        return p.isoformat(sep=" ", timespec="minutes")
    return p.isoformat() if p else "undated"
