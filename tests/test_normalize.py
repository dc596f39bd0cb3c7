"""Text is normalised before it is stored, embedded or matched."""

from __future__ import annotations

from qa.models import Article
from qa.normalize import normalize_text


def test_invisible_and_control_characters_go_and_compatibility_forms_fold() -> None:
    assert normalize_text("dr\u200bones\u00ad and\u00a0ＡＢＣ\x07!") == "drones and ABC !"
    assert normalize_text("line one\nline\ttwo") == "line one\nline\ttwo"  # layout stays


def test_matching_sees_through_invisible_characters_and_stored_text_stays_verbatim() -> None:
    from qa.models import embedding_text
    from qa.tokens import tokenize

    assert tokenize("dr\u200bones\u00a0launched") == tokenize("drones launched")
    assert embedding_text("Drone\u200b strike", "5,438 dr\u200bones.") == "Drone strike\n5,438 drones."
    raw = {"title": "Drone strike", "text": "Russia launched 5,438 dr\u200bones."}
    assert Article.model_validate(raw).text == raw["text"]  # what citations quote is what was sent


def test_text_of_only_invisible_or_control_characters_is_blank() -> None:
    import pytest
    from pydantic import ValidationError

    for text in ("\x1b", "\u200b\u200b", " \x07 "):
        with pytest.raises(ValidationError, match="must not be empty"):
            Article(title="t", text=text)
