"""Train the extractive reader's ranker and calibration on the RealTime QA dev split, offline.

    pip install -e '.[train]'       # scikit-learn, for training only; answering needs numpy alone
    python bench/tools/train_reader.py [--store bench/.cache/full] [--write] [--json]

For each dev question the passages are retrieved exactly as ``/ask`` does (top 5, hybrid, the
question's date as ``as_of``); every candidate the engine builds from them is one row of features,
labelled 1 when it holds the gold answer string. Then:

1. **Cross-validation** (5 folds grouped by question date, so no question and no day's articles
   are on both sides): stage 1 (cheap features) is fitted on the training folds and picks each
   question's top ``embed_top`` candidates; stage 2 (plus embedding similarity) is fitted on those;
   the held-out questions get their best candidate and its probability. The calibration curve
   (Platt scaling) is itself cross-fitted, so every figure printed is on questions the models never saw.
2. **The shipped model**: both stages and the calibration refitted on all questions, the default
   ``min_confidence`` taken from the cross-validated risk-coverage curve, written to
   ``qa/engines/extractive/reader.json`` with ``--write``.

Deterministic: fixed folds, lbfgs, no random state; the same store gives the same file.
Features are cached in bench/.cache/reader-features.pkl (delete it after changing the features).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.config import Settings  # noqa: E402
from qa.engines.base import number_sources  # noqa: E402
from qa.engines.extractive import ExtractiveEngine  # noqa: E402
from qa.engines.extractive.engine import presented  # noqa: E402
from qa.engines.extractive.features import CHEAP, FULL, SIGNALS, WITH_CROSS, second_stage  # noqa: E402
from qa.engines.extractive.ranker import WEIGHTS  # noqa: E402
from qa.services import Services  # noqa: E402

DATA = REPO.parent / "shared" / "bench" / "realtimeqa"
FOLDS = 5
# Candidates stage 2 scores (each sentence of them read by the cross-encoder); QA_TRAIN_DEPTH
# overrides it for the depth-vs-accuracy table in bench/README.
EMBED_TOP = int(os.environ.get("QA_TRAIN_DEPTH", "10"))
# Inverse L2 strength. Strong: a rare feature must not earn an extreme weight from a few questions
# (one once reached -6 and vetoed every sentence that used the question's own verb).
C = 0.1
# The default min_confidence: the lowest floor whose answers were right at least this often on
# held-out questions: an answer shown should be right more often than not, by a margin; below the
# floor the user gets the related passages instead.
TARGET_PRECISION = 0.55
COVERAGES = (0.25, 0.5, 0.75, 1.0)


@dataclass
class Record:
    """One question's candidates: features, labels and what the short answer would say."""

    qid: str
    day: str
    question: str
    gold: str
    cheap: np.ndarray
    signals: dict[str, np.ndarray]  # per candidate: bi-encoder cosine, cross-encoder log-odds
    label: np.ndarray  # trained on: the gold answer as a whole word or phrase
    correct: np.ndarray  # scored on: the gold string anywhere, as bench/run.py has always counted
    short_ok: np.ndarray
    length: np.ndarray  # characters of the answer each candidate would give
    texts: list[str]  # the candidates, for reading the failures
    passage: np.ndarray | None = None  # per candidate: the number of the passage it comes from
    passage_gold: np.ndarray | None = None  # per passage (fused order): holds the gold string


# Passages read per question: 5, as /ask reads; more to measure reading deeper and reranking.
READ_K = int(os.environ.get("QA_TRAIN_K", "5"))


# Synthetic + dev cross-encoders (bench/tools/train_cross_encoder.py --dev-from): a folder holding
# dev-0 … dev-4 (each fine-tuned on the other folds' dev questions) and dev-all. Each dev question is
# read with the model that never saw its day (out-of-fold scores, as in stacking); unset: the
# shipped, synthetic-only model for every question.
CE_DIR = os.environ.get("QA_TRAIN_CE_DIR")


def _cross_encoder(fold: int | str) -> Any:
    """The cross-encoder that reads questions of ``fold`` (None: the shipped one)."""
    if CE_DIR is None:
        return None
    from qa.engines.extractive.cross_encoder import CrossEncoder

    return CrossEncoder(Path(CE_DIR) / f"dev-{fold}")


def build_records(services: Services, questions: list[dict[str, Any]], k: int = READ_K) -> list[Record]:
    days = sorted({q["date"] for q in questions})
    engines = {f: ExtractiveEngine(services.embedder, cross_encoder=_cross_encoder(f)) for f in range(FOLDS)}
    out = []
    for n, q in enumerate(questions, 1):
        engine = engines[days.index(q["date"]) % FOLDS]
        day = dt.date.fromisoformat(q["date"])
        hits = services.retriever.search(q["question"], k=k, as_of=day)
        sources = number_sources(hits)
        r = engine.read(q["question"], sources)
        every = list(range(len(r.candidates)))
        if every:
            engine.score_candidates(r, every, SIGNALS)
        gold = q["answer"].lower()
        whole = re.compile(rf"(?<!\w){re.escape(gold)}(?!\w)", re.I)
        texts = [c.text for c in r.candidates]
        # Scored on what the answer would show: the value, then the sentences it keeps.
        shown = [presented(r.question, c) for c in r.candidates]
        shorts = [value[0] if value else "" for value, _ in shown]
        answers = [" ".join([s, *(x.whole for x in kept)]).strip() for s, (_, kept) in zip(shorts, shown, strict=True)]
        out.append(
            Record(
                qid=q["id"],
                day=q["date"],
                question=q["question"],
                gold=q["answer"],
                cheap=r.cheap,
                signals=r.signals,
                label=np.array([bool(whole.search(t)) for t in texts], dtype=bool),
                correct=np.array([gold in a.lower() for a in answers], dtype=bool),
                short_ok=np.array([bool(s) and gold in s.lower() for s in shorts], dtype=bool),
                length=np.array([len(a) for a in answers]),
                texts=[f"{s} || {t}" if s else t for s, t in zip(shorts, texts, strict=True)],
                passage=np.array([c.sentences[0].source.n for c in r.candidates], dtype=int),
                passage_gold=np.array([gold in h.chunk.text.lower() for h in hits], dtype=bool),
            )
        )
        if n % 20 == 0:
            print(f"  {n}/{len(questions)} questions read", file=sys.stderr, flush=True)
    return out


# The eval suite's seed and corpus cases are extra training questions (short factoid questions and
# must-abstain ones, unlike the quiz-style dev questions). They are always on the training side and
# never scored here; the paraphrase and held-out cases are never trained on.
EVAL_DAY = "eval-suite"
# Each eval-suite question counts as this many dev questions: there are 40 of them against 211,
# and they carry what the quiz questions rarely show (a stated value of the wrong kind, a focus
# noun the passage never mentions).
EVAL_WEIGHT = float(os.environ.get("QA_TRAIN_EVAL_WEIGHT", "3"))


def folds_by_day(records: list[Record], k: int = FOLDS) -> list[int]:
    """Fold of each question: whole days go to one fold, days dealt round-robin in date order;
    eval-suite questions get -1 (training only)."""
    days = sorted({r.day for r in records if r.day != EVAL_DAY})
    fold_of_day = {d: i % k for i, d in enumerate(days)}
    return [fold_of_day.get(r.day, -1) for r in records]


def eval_records() -> list[Record]:
    """The eval suite's ask and abstain cases (seeds.yaml, corpus.yaml) over its own corpus."""
    import tempfile

    from qa.embeddings import CachedEmbedder, MiniLMEmbedder
    from qa.evals.cases import Dataset
    from qa.evals.scorers import _matches
    from qa.ingest.readers import read_paths
    from qa.models import SearchFilters

    cases = [
        c
        for c in Dataset.load([REPO / "evals" / "cases"]).cases
        if c.kind in ("ask", "abstain") and "paraphrase" not in c.tags
    ]
    embedder = CachedEmbedder(MiniLMEmbedder(), REPO / "evals" / ".cache" / "embeddings.sqlite")
    with tempfile.TemporaryDirectory() as tmp:
        services = Services.from_settings(Settings(data_dir=Path(tmp), seed_on_start=False), embedder=embedder)  # type: ignore[call-arg]
        # Not evals/heldout/corpus: articles written for held-out cases are never trained on.
        services.ingestor.ingest(read_paths([REPO / "seeds", REPO / "evals" / "corpus"]))
        engine = ExtractiveEngine(services.embedder, cross_encoder=_cross_encoder("all"))
        out = []
        for c in cases:
            hits = services.retriever.search(
                c.question or "", k=5, filters=SearchFilters(**c.filters) if c.filters else None
            )
            r = engine.read(c.question or "", number_sources(hits))
            if r.candidates:
                engine.score_candidates(r, list(range(len(r.candidates))), SIGNALS)
            texts = [x.text for x in r.candidates]
            ok = np.array([bool(c.facts) and all(any(_matches(a, t) for a in g) for g in c.facts) for t in texts])
            out.append(
                Record(
                    qid=c.id,
                    day=EVAL_DAY,
                    question=c.question or "",
                    gold="",
                    cheap=r.cheap,
                    signals=r.signals,
                    label=ok.astype(bool),
                    correct=ok.astype(bool),
                    short_ok=np.zeros(len(texts), dtype=bool),
                    length=np.array([len(t) for t in texts]),
                    texts=texts,
                )
            )
    return out


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, returned as weights on the raw features."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit((x - mu) / sd, y, sample_weight=w)
    coef = model.coef_[0] / sd
    return coef, float(model.intercept_[0] - (coef * mu).sum())


def _top(r: Record, coef: np.ndarray, b: float, n: int) -> list[int]:
    z = r.cheap @ coef + b
    return sorted(range(len(z)), key=lambda i: -round(float(z[i]), 6))[:n]


# Stage 2's features: the cheap ones plus the per-sentence model signals. QA_TRAIN_STAGE2 picks them,
# to compare the bi-encoder, the cross-encoder and both; unset, the shipped reader's (FULL), so that
# bench/run.py cross-validates what ships.
STAGE2 = {
    "similarity": FULL,
    "cross": WITH_CROSS,
    "both": (*FULL, "cross", "cross_gap"),
}[os.environ.get("QA_TRAIN_STAGE2", "similarity")]


def _rows(r: Record, top: list[int]) -> np.ndarray:
    return second_stage(STAGE2, r.cheap[top], {k: v[top] for k, v in r.signals.items()})


def _weight(r: Record, n: int) -> np.ndarray:
    return np.full(n, EVAL_WEIGHT if r.day == EVAL_DAY else 1.0)


def fit_stages(train: list[Record], embed_top: int = EMBED_TOP) -> dict[str, Any]:
    x1 = np.vstack([r.cheap for r in train if len(r.label)])
    y1 = np.concatenate([r.label for r in train if len(r.label)])
    w1 = np.concatenate([_weight(r, len(r.label)) for r in train if len(r.label)])
    c1, b1 = _fit(x1, y1, w1)
    x2, y2, w2 = [], [], []
    for r in train:
        if not len(r.label):
            continue
        top = _top(r, c1, b1, embed_top)
        x2.append(_rows(r, top))
        y2.append(r.label[top])
        w2.append(_weight(r, len(top)))
    c2, b2 = _fit(np.vstack(x2), np.concatenate(y2), np.concatenate(w2))
    return {"c1": c1, "b1": b1, "c2": c2, "b2": b2, "embed_top": embed_top}


def best_of(r: Record, m: dict[str, Any]) -> tuple[float, int] | None:
    """The stage-2 probability of the question's best candidate, and its index."""
    if not len(r.label):
        return None
    top = _top(r, m["c1"], m["b1"], m["embed_top"])
    z = _rows(r, top) @ m["c2"] + m["b2"]
    k = min(range(len(top)), key=lambda i: (-round(float(z[i]), 6), i))
    return float(1 / (1 + np.exp(-z[k]))), top[k]


def _recall(r: Record, m: dict[str, Any], k: int = 5) -> dict[str, bool]:
    """Whether the gold string is in the first ``k`` passages as fused, and as reranked by the
    reader: passages ordered by the best stage-2 score among their candidates (those stage 2 read),
    then the rest in fused order."""
    if r.passage is None or r.passage_gold is None:
        return {}
    best: dict[int, float] = {}
    if len(r.label):
        top = _top(r, m["c1"], m["b1"], m["embed_top"])
        z = _rows(r, top) @ m["c2"] + m["b2"]
        for i, v in zip(top, z, strict=True):
            n = int(r.passage[i])
            best[n] = max(best.get(n, -np.inf), float(v))
    order = sorted(range(1, len(r.passage_gold) + 1), key=lambda n: (n not in best, -best.get(n, 0.0), n))
    return {
        "fused_hit": bool(r.passage_gold[:k].any()),
        "reranked_hit": bool(any(r.passage_gold[n - 1] for n in order[:k])),
    }


def cross_validate(records: list[Record]) -> list[dict[str, Any]]:
    """Out-of-fold predictions, one per question, with a cross-fitted calibrated confidence."""

    fold = folds_by_day(records)
    rows: list[dict[str, Any]] = []
    for f in range(FOLDS):
        model = fit_stages([r for r, g in zip(records, fold, strict=True) if g != f])  # eval-suite (-1) included
        for r, g in zip(records, fold, strict=True):
            if g != f:
                continue
            got = best_of(r, model)
            p, i = got if got else (0.0, -1)
            rows.append(
                {
                    **_recall(r, model),
                    **_confidence_extras(r, model, i),
                    "qid": r.qid,
                    "fold": f,
                    "p": p,
                    "correct": bool(i >= 0 and r.correct[i]),
                    "short_ok": bool(i >= 0 and r.short_ok[i]),
                    "length": int(r.length[i]) if i >= 0 else 0,
                    "reachable": bool(r.correct.any()),
                }
            )
    # Calibration cross-fitted too: each fold's confidences come from a curve fitted on the others.
    for f in range(FOLDS):
        if CALIBRATE_WITH:
            calibrated = _calibrate_with([x for x in rows if x["fold"] != f])
            for x in rows:
                if x["fold"] == f:
                    x["confidence"] = calibrated(x)
            continue
        curve = fit_calibration([x for x in rows if x["fold"] != f])
        for x in rows:
            if x["fold"] == f:
                x["confidence"] = round(float(np.interp(x["p"], curve[0], curve[1])), 3)
    return rows


# An experiment, for the cross-validated figures only (the shipped calibration is Platt on the
# best candidate's probability): QA_TRAIN_CALIBRATE=margin,cross also gives the calibration the
# best candidate's lead over the second (stage-2 log-odds) and its cross-encoder log-odds.
CALIBRATE_WITH = tuple(f for f in os.environ.get("QA_TRAIN_CALIBRATE", "").split(",") if f)


def _confidence_extras(r: Record, m: dict[str, Any], i: int) -> dict[str, float]:
    if i < 0:
        return {"margin": 0.0, "cross": -10.0}
    top = _top(r, m["c1"], m["b1"], m["embed_top"])
    z = np.sort(_rows(r, top) @ m["c2"] + m["b2"])[::-1]
    return {"margin": float(z[0] - z[1]) if len(z) > 1 else 5.0, "cross": float(r.signals["cross"][i])}


def _calibrate_with(rows: list[dict[str, Any]]) -> Any:
    from sklearn.linear_model import LogisticRegression

    def x_of(x: dict[str, Any]) -> list[float]:
        p = min(max(x["p"], 1e-6), 1 - 1e-6)
        return [float(np.log(p / (1 - p))), *(x[f] for f in CALIBRATE_WITH)]

    fitted = LogisticRegression(C=1.0).fit(np.array([x_of(x) for x in rows]), [x["correct"] for x in rows])
    return lambda x: round(float(fitted.predict_proba(np.array([x_of(x)]))[0, 1]), 3)


def fit_calibration(rows: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Platt scaling (a logistic curve on the ranker's log-odds), tabulated for np.interp.

    A smooth curve, not isotonic steps: steps merged answers of very different scores into one
    confidence, so no floor could separate them."""
    from sklearn.linear_model import LogisticRegression

    p = np.clip(np.array([x["p"] for x in rows]), 1e-6, 1 - 1e-6)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    y = np.array([x["correct"] for x in rows], dtype=int)
    platt = LogisticRegression(C=1.0).fit(z, y)
    grid = np.linspace(1e-4, 1 - 1e-4, 201)
    conf = platt.predict_proba(np.log(grid / (1 - grid)).reshape(-1, 1))[:, 1]
    return [round(float(v), 6) for v in grid], [round(float(v), 6) for v in conf]


def report(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    n = len(rows)
    answered = [x for x in rows if x["confidence"] >= threshold and x["length"] > 0]
    right = sum(x["correct"] for x in answered)
    by_conf = sorted(rows, key=lambda x: -x["confidence"])
    risk_coverage = {}
    for cov in COVERAGES:
        head = by_conf[: max(1, round(cov * n))]
        risk_coverage[f"{int(cov * 100)}%"] = round(sum(x["correct"] for x in head) / len(head), 3)
    bins = []
    for lo, hi in ((0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):
        inside = [x for x in rows if lo <= x["confidence"] < hi]
        if inside:
            bins.append(
                {
                    "confidence": f"{lo:.1f}-{min(hi, 1):.1f}",
                    "questions": len(inside),
                    "mean_confidence": round(float(np.mean([x["confidence"] for x in inside])), 3),
                    "right": round(float(np.mean([x["correct"] for x in inside])), 3),
                }
            )
    lengths = sorted(x["length"] for x in answered)
    dev = [x for x in rows if "fused_hit" in x]
    recall = (
        {
            "recall_at_5_fused": round(sum(x["fused_hit"] for x in dev) / len(dev), 3),
            "recall_at_5_reranked": round(sum(x["reranked_hit"] for x in dev) / len(dev), 3),
        }
        if dev
        else {}
    )
    return {
        **recall,
        "questions": n,
        "min_confidence": threshold,
        "answer_accuracy": round(right / n, 3),
        "answered_precision": round(right / len(answered), 3) if answered else None,
        "abstain_rate": round(1 - len(answered) / n, 3),
        "short_answer_accuracy": round(sum(x["short_ok"] for x in answered) / n, 3),
        "answer_median_chars": lengths[len(lengths) // 2] if lengths else 0,
        "reachable": round(sum(x["reachable"] for x in rows) / n, 3),
        "top1_any_confidence": round(sum(x["correct"] for x in rows) / n, 3),
        "risk_coverage": risk_coverage,
        "reliability": bins,
    }


def choose_threshold(rows: list[dict[str, Any]]) -> float:
    """The lowest confidence floor whose answers are right at least TARGET_PRECISION of the time."""
    for t in sorted({x["confidence"] for x in rows}):
        answered = [x for x in rows if x["confidence"] >= t]
        if len(answered) >= 0.1 * len(rows) and sum(x["correct"] for x in answered) / len(answered) >= TARGET_PRECISION:
            return round(float(t), 3)
    return 0.5


def nested_threshold_report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The default floor's figures with the floor itself chosen out of fold: each fold is scored
    at the floor chosen on the other folds, so not even the threshold has seen its questions."""
    scored = []
    floors = []
    for f in range(FOLDS):
        floor = choose_threshold([x for x in rows if x["fold"] != f])
        floors.append(floor)
        scored += [{**x, "answered": x["confidence"] >= floor and x["length"] > 0} for x in rows if x["fold"] == f]
    answered = [x for x in scored if x["answered"]]
    right = sum(x["correct"] for x in answered)
    return {
        "floors_per_fold": floors,
        "answer_accuracy": round(right / len(scored), 3),
        "answered_precision": round(right / len(answered), 3) if answered else None,
        "abstain_rate": round(1 - len(answered) / len(scored), 3),
    }


def final_model(records: list[Record], rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    from sklearn import __version__ as sklearn_version

    m = fit_stages(records)
    cx, cy = fit_calibration(rows)
    # Four decimals: threaded BLAS sums differ in the sixth from run to run; the file should not.
    r6 = lambda a: [round(float(v), 4) for v in a]  # noqa: E731
    return {
        "version": 1,
        "stage1": {"features": list(CHEAP), "coef": r6(m["c1"]), "intercept": round(m["b1"], 4)},
        "stage2": {"features": list(STAGE2), "coef": r6(m["c2"]), "intercept": round(m["b2"], 4)},
        "calibration": {"x": r6(cx), "y": r6(cy), "kind": "platt, tabulated"},
        "embed_top": m["embed_top"],
        "default_min_confidence": threshold,
        "meta": {
            "trained_on": "RealTime QA dev split (questions only; the data is not shipped)",
            "questions": len(records),
            "of_which_eval_suite": sum(r.day == EVAL_DAY for r in records),
            "candidates": int(sum(len(r.label) for r in records)),
            "folds": f"{FOLDS}, grouped by question date",
            "sklearn": sklearn_version,
            "script": "bench/tools/train_reader.py",
        },
    }


def dev_records(services: Services, questions: list[dict[str, Any]]) -> list[Record]:
    """The dev questions' records, from the cache when the store, retrieval and code are unchanged."""
    key = hashlib.sha256(
        json.dumps(
            [
                CHEAP,
                services.store.revision(),
                services.retriever.recency_weight,
                services.settings.lexical_index,
                READ_K,
                [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(CE_DIR).glob("dev-*/model.int8.onnx"))]
                if CE_DIR
                else None,
                hashlib.sha256((REPO / "qa/assets/cross_encoder/model.int8.onnx").read_bytes()).hexdigest(),
                # The code that makes candidates, features and labels (this script labels them): a
                # change to it is a new cache.
                hashlib.sha256(
                    b"".join(p.read_bytes() for p in sorted((REPO / "qa").glob("**/*.py")) if "briefing" not in p.parts)
                    + Path(__file__).read_bytes()
                ).hexdigest(),
            ]
        ).encode()
    ).hexdigest()[:16]
    cache = REPO / "bench/.cache" / f"reader-features-{key}.pkl"
    if cache.exists():
        return [Record(**d) for d in pickle.loads(cache.read_bytes())]
    records = build_records(services, questions)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps([r.__dict__ for r in records]))
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--store", type=Path, default=REPO / "bench/.cache/full", help="a store holding the corpus")
    ap.add_argument("--write", action="store_true", help=f"write {WEIGHTS.relative_to(REPO)}")
    ap.add_argument("--json", action="store_true", help="print the cross-validated report as JSON only")
    ap.add_argument("--quick", action="store_true", help="bench/run.py's quick subset (for trying the script)")
    args = ap.parse_args()

    from qa.evals.realtimeqa import load

    articles, questions = load(args.data)
    if args.quick:
        from bench.run import quick_subset

        articles, questions = quick_subset(articles, questions)
    services = Services.from_settings(Settings(data_dir=args.store, seed_on_start=False))  # type: ignore[call-arg]
    if args.quick:
        services.ingestor.ingest(articles)
    if services.store.count_articles() == 0:
        sys.exit(f"{args.store} holds no articles: run bench/run.py first (it ingests the corpus there)")
    records = dev_records(services, questions)
    records += eval_records()
    rows = cross_validate(records)
    threshold = choose_threshold(rows)
    figures = {
        "cross_validated": report(rows, threshold),
        "threshold_chosen_out_of_fold": nested_threshold_report(rows),
        "at_0": report(rows, 0.0),
    }
    if args.write:
        WEIGHTS.write_text(json.dumps(final_model(records, rows, threshold), indent=1) + "\n", encoding="utf-8")
        figures["written"] = str(WEIGHTS.relative_to(REPO))
    print(json.dumps(figures, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
