"""Fit the briefing's lead-style model (qa/briefing/lead_style.py) on the dev corpus, offline.

    pip install -e '.[train]'      # scikit-learn
    python bench/tools/train_lead_style.py [--write] [--json]

Examples, one per sentence (split as the briefing splits, at least 6 words, usable):
- **a report's lead** (1): the first sentence of a hard-news article (no soft or opinion desk in
  its URL) that plainly reports an event (a dateline or a named day, ``news.reports_event``),
  neither previews nor reacts, and is not mostly a quote;
- **a detail** (0): up to 3 sentences from the 4th to the 12th of those same articles;
- **a feature's opening** (0): the first sentence of a soft- or opinion-desk article that names
  no day and has no dateline (anecdotes, scenes, background, the reader addressed).

Each is masked (``lead_style.masked``: dateline and named days removed) and embedded with MiniLM;
an L2-regularised logistic regression reads the 384 numbers. Figures are out of fold, 5 folds by
publication day. Deterministic: a seeded sample of details, lbfgs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.briefing import news  # noqa: E402
from qa.briefing.lead_style import WEIGHTS, masked  # noqa: E402
from qa.embeddings import MiniLMEmbedder  # noqa: E402
from qa.prose import quoted_share, usable  # noqa: E402
from qa.text import split_sentences  # noqa: E402

DETAILS = 4  # detail sentences sampled per lead article (its 2nd to 12th)
FEATURE_DETAILS = 2  # ... and per feature article (its 2nd to 8th)
C = 1.0
FOLDS = 5


def examples(articles: list[Any], seed: int = 13) -> list[tuple[str, int, str, str]]:
    """(sentence, label, kind, day) for every example, in corpus order."""
    rng = random.Random(seed)
    out = []
    for a in sorted(articles, key=lambda a: a.id):
        ss = [s for s in split_sentences(a.text) if usable(s) and len(s.split()) >= 6]
        if len(ss) < 6:
            continue
        sections = set(news.url_sections(a.url))
        soft = bool(sections & (news.SOFT_SECTIONS | news.OPINION_SECTIONS))
        first, day = ss[0], a.published_date.isoformat() if a.published_date else ""
        reports = news.reports_event(first) > 0
        if reports and not soft and not news.looks_ahead_or_reacts(first) and quoted_share(first) <= 0.4:
            out.append((first, 1, "lead", day))
            out += [(s, 0, "detail", day) for s in rng.sample(ss[1:12], min(DETAILS, len(ss[1:12])))]
        elif soft and not reports:
            out.append((first, 0, "feature opening", day))
            out += [(s, 0, "feature detail", day) for s in rng.sample(ss[1:8], min(FEATURE_DETAILS, len(ss[1:8])))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "bench" / "realtimeqa")
    ap.add_argument("--write", action="store_true", help=f"write {WEIGHTS.relative_to(REPO)}")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from qa.evals.realtimeqa import load_articles

    data = examples(load_articles(args.data))
    texts, y = [masked(t) for t, *_ in data], np.array([lab for _, lab, *_ in data])
    kinds, days = np.array([k for *_, k, _ in data]), [d for *_, d in data]
    embedder = MiniLMEmbedder()
    x = embedder.embed(texts).astype(np.float64)
    ordered = sorted(set(days))
    fold = np.array([ordered.index(d) % FOLDS for d in days])
    p = np.zeros(len(y))
    for f in range(FOLDS):
        m = LogisticRegression(C=C, max_iter=5000).fit(x[fold != f], y[fold != f])
        p[fold == f] = m.predict_proba(x[fold == f])[:, 1]
    figures: dict[str, Any] = {
        "examples": dict(Counter(kinds.tolist())),
        "auc_out_of_fold": round(float(roc_auc_score(y, p)), 3),
    }
    for k in ("detail", "feature opening", "feature detail"):
        sel = (kinds == "lead") | (kinds == k)
        figures[f"auc_lead_vs_{k.replace(' ', '_')}"] = round(float(roc_auc_score(y[sel], p[sel])), 3)
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    spec = {
        "embedder": embedder.model_id,
        "script": "bench/tools/train_lead_style.py",
        "figures": figures,
        "intercept": round(float(model.intercept_[0]), 6),
        "coef": [round(float(v), 6) for v in model.coef_[0]],
    }
    if args.write:
        WEIGHTS.write_text(json.dumps(spec) + "\n", encoding="utf-8")
        figures["written"] = str(WEIGHTS.relative_to(REPO))
    print(json.dumps(figures, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
