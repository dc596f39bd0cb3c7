"""The trained ranker: two logistic models and a calibration curve, read from ``reader.json``.

Stage 1 scores every candidate on the cheap features; the best ``embed_top`` of them are embedded
and stage 2 scores those on all features. The best stage-2 probability, mapped through an
calibration curve (Platt scaling) fitted on held-out folds, is the answer's ``confidence``: among answers
given 0.8, about 80% held the right answer on questions the model was not trained on.

The weights are learned offline by ``bench/tools/train_reader.py`` (scikit-learn) and stored as
plain numbers, so answering needs only numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = Path(__file__).with_name("reader.json")


@dataclass(frozen=True)
class Linear:
    features: tuple[str, ...]
    coef: np.ndarray
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        if x.shape[1] != len(self.coef):
            raise ValueError(f"ranker expects {len(self.coef)} features, got {x.shape[1]}")
        out: np.ndarray = x @ self.coef + self.intercept
        return out

    @classmethod
    def of(cls, d: dict[str, Any]) -> Linear:
        return cls(tuple(d["features"]), np.asarray(d["coef"], dtype=np.float64), float(d["intercept"]))


@dataclass(frozen=True)
class ReaderModel:
    stage1: Linear
    stage2: Linear
    calibration_x: np.ndarray
    calibration_y: np.ndarray
    embed_top: int
    default_min_confidence: float
    meta: dict[str, Any] = field(default_factory=dict)

    def confidence(self, logit: float) -> float:
        """Calibrated probability that an answer built on a candidate of this logit is right."""
        p = 1.0 / (1.0 + np.exp(-logit))
        return round(float(np.interp(p, self.calibration_x, self.calibration_y)), 3)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReaderModel:
        return cls(
            stage1=Linear.of(d["stage1"]),
            stage2=Linear.of(d["stage2"]),
            calibration_x=np.asarray(d["calibration"]["x"], dtype=np.float64),
            calibration_y=np.asarray(d["calibration"]["y"], dtype=np.float64),
            embed_top=int(d["embed_top"]),
            default_min_confidence=float(d["default_min_confidence"]),
            meta=d.get("meta", {}),
        )

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> ReaderModel:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_model() -> ReaderModel:
    return ReaderModel.load()
