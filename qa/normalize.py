"""Unicode normalisation for everything that is matched or embedded: questions and article text.

A leaf module (no project imports), so the domain models can use it.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width characters and the soft hyphen hide inside words ("dr\u200bones") and break matching.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# C0/C1 control characters, bar tab, line feed and carriage return, which carry layout.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters, ligatures and non-breaking spaces become plain ones), with
    invisible characters removed and control characters turned into spaces."""
    return _CONTROL.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))
