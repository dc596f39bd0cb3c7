"""Text is normalised before it is stored, embedded or matched."""

from __future__ import annotations

from qa.models import Article
from qa.normalize import normalize_text


def test_invisible_and_control_characters_go_and_compatibility_forms_fold() -> None:
    assert normalize_text("dr\u200bones\u00ad and\u00a0ＡＢＣ\x07!") == "drones and ABC !"
    assert normalize_text("line one\nline\ttwo") == "line one\nline\ttwo"  # layout stays


def test_articles_are_stored_normalised_under_the_id_they_always_had() -> None:
    raw = {"title": "Drone\u200b strike", "text": "Russia launched 5,438 dr\u200bones."}
    a = Article.model_validate(raw)
    assert a.text == "Russia launched 5,438 drones." and a.title == "Drone strike"
    assert a.id == Article.model_validate({**raw}).id
