"""What a sentence of news prose is fit for, by rules every engine and the briefing share: whether
it may be quoted at all, whether it leans on the sentence before it, how much of it is quotation.

They live below the engines and the briefing so that neither reaches into the other's insides.
"""

from __future__ import annotations

import re

from qa.text import addressed_to_model

# Sentences that are page furniture or poor answers.
_BYLINE = re.compile(
    r"^\s*(?:by\s+[A-Z]|\(?(?:AP|Reuters|AFP)\)?\s*[-—–]|photo|image|credit|copyright|©)"
    r"|\bwrites? for\b|\bcontributed (?:to )?(?:this|reporting)\b|\bGetty Images\b|\ball rights reserved\b",
    re.I,
)
DANGLING = re.compile(r"^(?:It|This|That|These|Those|They|He|She|But|And|Also|However|Still|Yet)\b")
ANAPHOR = re.compile(r"^(?:It|Its|He|His|She|Her|They|Their|The (?:company|firm|group|plant|city|town))\b")

# A quotation: opened after a space or bracket, closed before a space or punctuation, so the
# apostrophes of "Korea's" or "don't" neither open nor close one.
QUOTED = re.compile(r"(?:^|(?<=[\s(\[—-]))[\"“‘'](?=\w).{10,}?[\w.,!?…][\"”’'](?=[\s,.;:!?)\]—-]|$)")
QUOTE_OPEN = "'\"‘“"


# A clause that opens on a pronoun: "If it fail to do so by the deadline, …", "When they arrived, …"
# ("When it comes to", "As it turns out" are idioms, not references).
CLAUSE_ANAPHOR = re.compile(
    r"^(?:If|When|As|Although|While|Because|Since|Unless|Once)\s+(?:it|they|he|she)\b"
    r"(?!\s+(?:comes|stands|turns|happens|says|say)\b)"
)


def leans_on_previous(sentence: str) -> bool:
    """Whether a sentence needs the one before it to be read: "It employs …", "The plant's …"."""
    return bool(DANGLING.match(sentence) or ANAPHOR.match(sentence))


def usable(sentence: str) -> bool:
    """False for page furniture (fragments, headings, all-caps labels, bylines, credits) and for
    instructions aimed at a model."""
    words = sentence.split()
    if len(words) < 4 or len(sentence) > 700:
        return False
    letters = [c for c in sentence if c.isalpha()]
    if not letters or sum(c.islower() for c in letters) / len(letters) < 0.5:
        return False
    # A short line with no closing punctuation is a heading or a caption, not a statement.
    if len(words) < 10 and not re.search(r"[.!?…][\"'”’)\]]*$", sentence):
        return False
    return not _BYLINE.search(sentence) and not addressed_to_model(sentence)


def quoted_share(sentence: str) -> float:
    """The share of a sentence inside quotation marks (at least half when it opens with one)."""
    quoted = sum(len(m.group()) for m in QUOTED.finditer(sentence))
    if sentence[:1] in QUOTE_OPEN:
        quoted = max(quoted, len(sentence) // 2 + 1)
    return quoted / max(len(sentence), 1)
