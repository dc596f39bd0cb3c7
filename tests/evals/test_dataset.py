"""`qa eval --dataset realtimeqa PATH --limit N`: a store of its own, only the news of the asked
weeks, progress as it goes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from qa.config import Settings
from qa.evals.suite import run_dataset
from qa.store.chroma import open_store


def test_a_limited_run_stores_only_its_weeks_news_in_a_store_of_its_own(tmp_path: Path) -> None:
    data = tmp_path / "rtqa"
    data.mkdir()
    articles = [
        {
            "id": "near",
            "title": "Ferry strike",
            "text": "The ferry workers went on strike on Monday.",
            "published": "2025-01-06",
        },
        {"id": "same-day", "title": "Port", "text": "The port reopened on Wednesday.", "published": "2025-01-08"},
        {"id": "far", "title": "Old news", "text": "A bridge opened in the spring.", "published": "2024-06-01"},
    ]
    with gzip.open(data / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(a) for a in articles) + "\n")
    questions = [
        {
            "id": "q1",
            "date": "2025-01-08",
            "question": "When did the ferry workers strike?",
            "answer": "Monday",
            "gold_articles": ["near"],
        },
        {
            "id": "q2",
            "date": "2024-06-02",
            "question": "When did the bridge open?",
            "answer": "spring",
            "gold_articles": ["far"],
        },
    ]
    (data / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n")
    settings = Settings(data_dir=tmp_path / "data", seed_on_start=False)
    said: list[str] = []
    figures = run_dataset("realtimeqa", data, "extractive", 1, settings, say=said.append)
    assert figures["questions"] == 1 and 0 <= figures["answer_accuracy"] <= 1
    assert said[0].startswith(f"ingesting 2 articles into {tmp_path / 'data' / 'eval-realtimeqa'}")
    assert said[-1] == "ingest: 2/2 articles"
    store = open_store(settings.model_copy(update={"data_dir": tmp_path / "data" / "eval-realtimeqa"}))
    assert store.count_articles() == 2 and store.get_article("far") is None
    assert not (tmp_path / "data" / "chroma").exists()  # the default store was not touched


def test_ctrl_c_stops_a_dataset_run_while_it_ingests(tmp_path: Path) -> None:
    """The newcomer's Ctrl-C: a run in the middle of its ingest stops at once, with no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "rtqa"
    data.mkdir()
    articles = [
        {
            "id": f"a{i}",
            "title": f"Council meeting number {i}",
            "text": " ".join(f"Item {j} of meeting {i} covered the budget line {i * 31 + j}." for j in range(60)),
            "published": "2025-01-06",
        }
        for i in range(400)
    ]
    with gzip.open(data / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(a) for a in articles) + "\n")
    question = {"id": "q1", "date": "2025-01-08", "question": "What did meeting 3 cover?", "answer": "budget"}
    (data / "questions.jsonl").write_text(json.dumps({**question, "gold_articles": ["a3"]}) + "\n")
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "eval", "--dataset", "realtimeqa", str(data), "--limit", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A background job of a non-interactive shell ignores SIGINT; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # said once the ingest begins
    assert first.startswith("ingesting 400 articles"), first
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - t0 < 10, err
    assert "Traceback" not in err
