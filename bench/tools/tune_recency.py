"""Choose the recency weight of retrieval's fusion (``QA_RECENCY_WEIGHT``), cross-validated.

    python bench/tools/tune_recency.py [--store bench/.cache/full]

Each dev question is retrieved with its date as ``as_of`` under every candidate weight; recall@5
is the share whose gold answer string is in a top-5 chunk. The weight is chosen on four folds of
days and scored on the fifth (folds grouped by question date, as in train_reader.py), so the
reported recall is on days the choice never saw. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.config import Settings  # noqa: E402
from qa.evals.realtimeqa import load  # noqa: E402
from qa.services import Services  # noqa: E402

DATA = REPO.parent / "shared" / "bench" / "realtimeqa"
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
FOLDS = 5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--store", type=Path, default=REPO / "bench/.cache/full")
    args = ap.parse_args()
    _, questions = load(args.data)
    services = Services.from_settings(Settings(data_dir=args.store, seed_on_start=False))  # type: ignore[call-arg]
    retriever = services.retriever
    hit: dict[float, list[bool]] = {}
    for w in WEIGHTS:
        retriever.recency_weight = w
        hit[w] = []
        for q in questions:
            hits = retriever.search(q["question"], k=5, as_of=dt.date.fromisoformat(q["date"]))
            hit[w].append(any(q["answer"].lower() in h.chunk.text.lower() for h in hits))
    days = sorted({q["date"] for q in questions})
    fold = [{d: i % FOLDS for i, d in enumerate(days)}[q["date"]] for q in questions]
    held_out, chosen = [], []
    for f in range(FOLDS):
        train = [i for i, g in enumerate(fold) if g != f]
        best = max(WEIGHTS, key=lambda w: (sum(hit[w][i] for i in train), -w))
        chosen.append(best)
        held_out += [hit[best][i] for i, g in enumerate(fold) if g == f]
    print(
        json.dumps(
            {
                "recall_at_5_by_weight": {str(w): round(sum(v) / len(v), 3) for w, v in hit.items()},
                "chosen_per_fold": chosen,
                "recall_at_5_cross_validated": round(sum(held_out) / len(held_out), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
