"""Patterns the reader looks for in questions and sentences: names, numbers, dates, places, quotes.

Plain regular expressions stand in for a tagger: they are fast, deterministic and need no model.
"""

from __future__ import annotations

import re

from qa.tokens import tokenize

# Words that shape a question (or any sentence) but say nothing about its topic; the lexical
# stopword list is deliberately short, so coverage needs its own.
FUNCTION = frozenset(
    tokenize(
        "how many much who whom whose what which when where why whether did does do doing done is are was "
        "were be been being has have having had will would shall should can could may might must according "
        "say says said tell told name kind type i me my we our you your he him his she her it its they them "
        "their this that these those there here than then also about over under after before from into onto "
        "upon out up down off again so very just only even any some all each most more other such one own "
        "same too not no nor yet per via get got make made"
    )
)

NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half|several|a few|a dozen"
)
NUMBER = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b", re.I)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{MONTHS})\b|\b(?:{DAYS})\b|\b(?:1[89]|20)\d\d\b|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    r"|\b(?:yesterday|today|tonight|overnight|last (?:night|week|month|year)|this (?:week|month|year)"
    r"|(?:days?|weeks?|months?|years?) ago|earlier this \w+|(?:first|second|third|fourth) quarter"
    r"|(?:next|last) (?:week|month|year|quarter)|(?:spring|summer|autumn|fall|winter) of)\b"
)
# A run of capitalised words: the stand-in for a named entity in plain text.
NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|de|al|bin|von|van|la|the)?\s*[A-Z][\w'’.-]*)*")
ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
SPEAKER = re.compile(r"\b[A-Z][a-z'’-]+,?\s+(?:said|says|told|added|wrote|claimed|announced)\b")
PLACE = re.compile(
    r"\b(?:in|at|near|from|outside|inside|across|to|into|of|city of|region of)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west)(?:ern|east|west|eastern|western)?\s+|central\s+|coastal\s+)?[A-Z][\w'’-]+"
    r"|\b(?:miles?|kilomet(?:er|re)s?|km)\b"
)
NOT_NAMES = frozenset(f"{MONTHS}|{DAYS}|The|A|An|In|On|At|But|And|It|He|She|They|We|I".lower().split("|"))
CUES: dict[str, re.Pattern[str]] = {
    "money": re.compile(
        r"[$€£¥]|\b(?:dollars?|euros?|pounds?|rubles?|roubles?|hryvnias?|yuan|yen|USD|EUR|cents?)\b", re.I
    ),
    "percent": re.compile(r"%|\bper ?cent\b|\bpercentage points?\b", re.I),
    "distance": re.compile(r"\b(?:miles?|kilomet(?:er|re)s?|km|met(?:er|re)s?|feet|yards)\b", re.I),
    "duration": re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b", re.I),
    "weight": re.compile(r"\b(?:grams?|kilo(?:gram)?s?|kg|pounds?|lbs?|ounces?|oz|tons?|tonnes?)\b", re.I),
    "size": re.compile(
        r"\b(?:(?:milli|centi|kilo)?met(?:er|re)s?|mm|cm|km|inch(?:es)?|feet|foot|ft|yards?|miles?|acres?"
        r"|hectares?)\b",
        re.I,
    ),
    "age": re.compile(r"\d+-year-old|\baged? \d+|\b\d+ years old\b", re.I),
    "population": re.compile(r"\b(?:population|residents|inhabitants|people live|living in|home to)\b", re.I),
}
