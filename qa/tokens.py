"""Terms: the words matching works on, for BM25, the reader and citation checks alike.

A leaf of the package (it imports only :mod:`qa.normalize`), so the lowest text utilities can use
it without pulling in ingest or the store.
"""

from __future__ import annotations

import re
from functools import lru_cache

import bm25s
import Stemmer

from qa.normalize import normalize_text

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)


# Irregular verb forms the stemmer cannot join to their base ("drove"/"driven" -> "drive").
_IRREGULAR = {
    form: base
    for base, forms in {
        "arise": "arose arisen",
        "be": "was were been",
        "beat": "beaten",
        "become": "became",
        "begin": "began begun",
        "break": "broke broken",
        "bring": "brought",
        "build": "built",
        "buy": "bought",
        "catch": "caught",
        "choose": "chose chosen",
        "come": "came",
        "cut": "cut",
        "deal": "dealt",
        "do": "did done",
        "draw": "drew drawn",
        "drive": "drove driven",
        "eat": "ate eaten",
        "fall": "fell fallen",
        "feel": "felt",
        "fight": "fought",
        "find": "found",
        "flee": "fled",
        "fly": "flew flown",
        "forbid": "forbade forbidden",
        "freeze": "froze frozen",
        "get": "got gotten",
        "give": "gave given",
        "go": "went gone",
        "grow": "grew grown",
        "hang": "hung",
        "have": "had",
        "hear": "heard",
        "hide": "hid hidden",
        "hit": "hit",
        "hold": "held",
        "keep": "kept",
        "know": "knew known",
        "lay": "laid",
        "lead": "led",
        "leave": "left",
        "lend": "lent",
        "lose": "lost",
        "make": "made",
        "mean": "meant",
        "meet": "met",
        "pay": "paid",
        "ride": "rode ridden",
        "rise": "rose risen",
        "run": "ran",
        "say": "said",
        "see": "saw seen",
        "seek": "sought",
        "sell": "sold",
        "send": "sent",
        "shake": "shook shaken",
        "shoot": "shot",
        "sing": "sang sung",
        "sink": "sank sunk",
        "sit": "sat",
        "speak": "spoke spoken",
        "spend": "spent",
        "stand": "stood",
        "steal": "stole stolen",
        "strike": "struck stricken",
        "swear": "swore sworn",
        "take": "took taken",
        "teach": "taught",
        "tear": "tore torn",
        "tell": "told",
        "think": "thought",
        "throw": "threw thrown",
        "understand": "understood",
        "wake": "woke woken",
        "wear": "wore worn",
        "win": "won",
        "withdraw": "withdrew withdrawn",
        "write": "wrote written",
    }.items()
    for form in forms.split()
}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    # Normalised here, where matching happens, so stored text (what citations quote) stays verbatim.
    words = [_IRREGULAR.get(w, w).replace(",", "") for w in _TOKEN.findall(normalize_text(text).lower())]
    return _stemmer().stemWords([w for w in words if w not in _STOPWORDS])
