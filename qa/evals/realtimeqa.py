"""The RealTime QA news set (Kasai et al., 2023) as an eval dataset: ``qa eval --dataset realtimeqa PATH``.

PATH holds ``corpus.jsonl.gz`` (articles) and ``questions.jsonl`` (dated questions with a short gold
answer and gold article ids). Measures answer accuracy (the gold string appears in the answer) and
evidence recall (a gold article is among the cited ones). For measurement only: no code is tuned
to these questions, and the data is never copied into the project.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

from qa.errors import InvalidInput
from qa.ingest.readers import parse_article_obj
from qa.models import Article


def load(path: Path) -> tuple[list[Article], list[dict[str, Any]]]:
    questions_file = path / "questions.jsonl"
    if not (path / "corpus.jsonl.gz").is_file() or not questions_file.is_file():
        raise InvalidInput(f"{path} needs corpus.jsonl.gz and questions.jsonl")
    questions = [json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line]
    return load_articles(path), questions


def load_articles(path: Path) -> list[Article]:
    corpus = path / "corpus.jsonl.gz"
    if not corpus.is_file():
        raise InvalidInput(f"{path} needs corpus.jsonl.gz")
    articles = []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            item = parse_article_obj(json.loads(line), f"corpus.jsonl.gz:{n}")
            if isinstance(item, Article):
                articles.append(item)
    return articles


def news_of(articles: list[Article], questions: list[dict[str, Any]], days: int = 7) -> list[Article]:
    """The articles published in the ``days`` before each question's date (and on it): the news its
    week's questions ask about. Undated articles are kept."""
    dates = {date.fromisoformat(q["date"]) for q in questions}
    return [
        a for a in articles if a.published_date is None or any(0 <= (d - a.published_date).days <= days for d in dates)
    ]


def score(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> dict[str, Any]:
    correct = evidence = abstained = 0
    for q, a in zip(questions, answers, strict=True):
        correct += q["answer"].lower() in a["answer"].lower()
        evidence += any(c["article_id"] in q["gold_articles"] for c in a["citations"])
        abstained += bool(a["abstained"])
    n = len(questions) or 1
    return {
        "questions": len(questions),
        "answer_accuracy": round(correct / n, 4),
        "evidence_recall": round(evidence / n, 4),
        "abstain_rate": round(abstained / n, 4),
    }
