"""The shipped cross-encoder: it loads offline from the package, scores pairs, and reads the question."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.engines.extractive.cross_encoder import MODEL_DIR, MODEL_FILE, CrossEncoder, default_cross_encoder
from qa.errors import QAError

QUESTION = "Which plant did the Ukrainian drones strike in Izhevsk?"
ANSWER = "Ukrainian drones struck the Kupol plant in Izhevsk, which makes air defence systems."
UNRELATED = "The city council approved a new budget for public parks on Tuesday evening."


def test_the_shipped_model_is_small_int8_and_has_a_card() -> None:
    assert MODEL_FILE.is_file()
    assert MODEL_FILE.stat().st_size <= 30 * 2**20
    card = json.loads((MODEL_DIR / "model.json").read_text())
    assert card["max_len"] >= 32
    assert "Apache-2.0" in card["base_model"]
    assert "no dev question" in card["trained_on"]


def test_scores_one_finite_value_per_sentence_in_input_order() -> None:
    ce = default_cross_encoder()
    sentences = [UNRELATED, ANSWER, UNRELATED]
    scores = ce.score(QUESTION, sentences)
    assert scores.shape == (3,)
    assert np.isfinite(scores).all()
    assert scores[0] == pytest.approx(scores[2], abs=1e-5)  # the same pair scores the same wherever it stands
    assert ce.score(QUESTION, []).shape == (0,)


def test_the_sentence_that_answers_scores_above_an_unrelated_one() -> None:
    ce = default_cross_encoder()
    answer, unrelated = ce.score(QUESTION, [ANSWER, UNRELATED])
    assert answer > unrelated


def test_long_sentences_are_cut_to_the_models_length_not_refused() -> None:
    ce = default_cross_encoder()
    (score,) = ce.score(QUESTION, [" ".join([ANSWER] * 40)])
    assert np.isfinite(score)


def test_a_missing_model_file_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    shutil.copy(MODEL_DIR / "model.json", tmp_path / "model.json")
    with pytest.raises(QAError, match="reinstall"):
        CrossEncoder(tmp_path)
    with pytest.raises(QAError, match="card"):
        CrossEncoder(tmp_path / "nowhere")


def test_a_pair_scored_again_comes_from_the_cache_with_the_same_score(monkeypatch: pytest.MonkeyPatch) -> None:
    ce = CrossEncoder()
    first = ce.score(QUESTION, [ANSWER, UNRELATED])
    runs: list[int] = []
    real = ce._run
    monkeypatch.setattr(ce, "_run", lambda q, s: runs.append(len(s)) or real(q, s))
    again = ce.score(QUESTION, [UNRELATED, ANSWER, "A sentence not scored before, about nothing in particular."])
    assert runs == [1]  # only the new sentence reached the model
    assert again[:2].tolist() == [first[1], first[0]]
