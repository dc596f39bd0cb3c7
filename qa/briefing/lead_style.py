"""Lead style: how much a sentence reads like a news report's lead (who did what), learned.

A story whose articles open on an anecdote, a scene or background ("Beau Boeckmann stood outside
his Ford dealership…") has no lead that reports its event, and its summary opened on whatever came
first. A logistic model over the sentence's MiniLM embedding tells a report's lead from a
feature's opening and from the details further down. It was fitted on the dev corpus: the leads
of hard-news articles that plainly report an event against the rest (``bench/tools/
train_lead_style.py``, which writes ``lead_style.json``). The day and the dateline are masked
before embedding, in training and here, so it reads how the sentence is built, not the weekday
the rule-based lead already looks for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.briefing.news import DATELINE, WHEN
from qa.embeddings import Embedder

WEIGHTS = Path(__file__).with_name("lead_style.json")
_DAY = re.compile(rf"\b(?:(?:on|late|early|this|last)\s+)?(?:{WHEN.pattern})", re.I)


def masked(sentence: str) -> str:
    """The sentence without its dateline and named days: what the model reads."""
    if m := DATELINE.match(sentence):
        sentence = sentence[m.end() :]
    text = re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s+", " ", _DAY.sub(" ", sentence)))
    return re.sub(r"([,;:])[,;:]+", r"\1", text).strip()


@lru_cache(maxsize=1)
def _model() -> tuple[str, np.ndarray, float] | None:
    if not WEIGHTS.exists():
        return None
    spec = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return spec["embedder"], np.asarray(spec["coef"], dtype=np.float32), float(spec["intercept"])


def lead_style(embedder: Embedder, sentences: Sequence[str]) -> np.ndarray | None:
    """Each sentence's probability of reading like a report's lead; None when the model does not
    fit this embedder (it was fitted on MiniLM's vectors) or is not installed."""
    model = _model()
    if model is None or model[0] != embedder.model_id or not sentences:
        return None
    _, coef, intercept = model
    z = embedder.embed([masked(s) for s in sentences]) @ coef + intercept
    return np.asarray(1 / (1 + np.exp(-z)), dtype=np.float64)
