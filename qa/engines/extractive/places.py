"""Place names by type, for the questions that ask for one: "which state…", "which country…".

A capitalised run cannot tell Texas from Gaines County, nor a city from a company. The names
come from GeoNames (countries with their common short forms, US states, cities of 300,000 or
more), written to ``places.json`` by ``bench/tools/make_places.py``; reading them needs nothing
but the standard library.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

PLACES = Path(__file__).with_name("places.json")
TYPES = ("country", "state", "city")
# The longest name is "South Georgia and the South Sandwich Islands": seven words.
_MAX_WORDS = 7
_TOKEN = re.compile(r"\S+")
_TRAILING = "'’\"”),;:!?"


@lru_cache(maxsize=1)
def _names() -> dict[str, frozenset[str]]:
    """Every name, with the types it has ("Washington" is a state and a city)."""
    data = json.loads(PLACES.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for t in TYPES:
        for name in data[t]:
            out.setdefault(name, set()).add(t)
    return {name: frozenset(types) for name, types in out.items()}


def places(text: str, kind: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that name a place of ``kind`` ("country", "state" or "city"). The longest
    name at each place wins, whatever its type: "New Mexico" is a state, and no mention of Mexico."""
    names = _names()
    toks = list(_TOKEN.finditer(text))
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        found = None
        if toks[i].group()[:1].isupper():
            for n in range(min(_MAX_WORDS, len(toks) - i), 0, -1):
                start = toks[i].start()
                phrase = text[start : toks[i + n - 1].end()].rstrip(_TRAILING)
                # "Texas." ends a sentence; "D.C." keeps its dot.
                name = next((c for c in (phrase, phrase.rstrip(".")) if c in names), None)
                if name:
                    found = (n, start, start + len(name), names[name])
                    break
        if found is None:
            i += 1
            continue
        n, start, end, types = found
        if kind in types:
            out.append((start, end))
        i += n
    return out
