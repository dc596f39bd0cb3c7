"""An ingest killed with SIGKILL midway: the store opens, holds no partial article, and a re-run completes.

The kill is real: `qa ingest` runs as a child process (``killpoint.py``) that stops just before a
chosen step of the store's write (a batch of chunks, the commit, the cleanup) and is killed there,
so each state between the steps is checked, not whatever a timer happened to hit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import Settings
from qa.ingest.chunking import chunk_article
from qa.models import Article
from qa.store.chroma import open_store

N_ARTICLES = 150
KILLPOINT = Path(__file__).with_name("killpoint.py")
WORDS = (  # noqa: SIM905 - a sentence reads better than a 40-item list
    "council budget river storm vote bridge harbor election court ruling minister festival drought "
    "factory strike tariff vaccine school museum airport rail wildfire senate mayor protest satellite "
    "market bank rate housing energy pipeline treaty border ceasefire orchestra stadium league"
).split()


def synthetic_articles(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sentences = [
            f"Article {i} sentence {j}: the " + " ".join(rng.choice(WORDS) for _ in range(14)) + "." for j in range(28)
        ]
        out.append({"id": f"crash-{i:03d}", "title": f"Crash test story {i}", "text": " ".join(sentences)})
    return out


def run_ingest(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(KILLPOINT), "none", "0", "ingest", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def committed_state(settings: Settings) -> tuple[dict[str, int], int]:
    """(chunks per committed article, all chunk rows) as a fresh process would see them."""
    store = open_store(settings)
    per_article = {m.id: len(store.article_chunks(m.id)) for m in store.list_articles(None, limit=None)}
    return per_article, store.count_chunks()


def kill_at(env: dict[str, str], feed: Path, step: str, n: int) -> None:
    """Run `qa ingest` until just before its ``n``-th store call of kind ``step``, then SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, str(KILLPOINT), step, str(n), "ingest", str(feed), "--progress-every", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(f"paused at {step} {n}"):
            break
    else:
        raise AssertionError(f"ingest ended before its {step} call #{n}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.timeout(600)
def test_sigkill_mid_ingest_leaves_no_partial_article_and_rerun_completes(tmp_path: Path) -> None:
    items = synthetic_articles(N_ARTICLES)
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(items))
    expected_chunks = {a["id"]: len(chunk_article(Article(**a))) for a in items}
    assert sum(expected_chunks.values()) > 300  # several embedding batches: the kill lands mid-run

    data = tmp_path / "data"
    # Small write batches (their articles commit together), so every kill finds more to write.
    env = {
        **os.environ,
        "QA_DATA_DIR": str(data),
        "QA_SEED_ON_START": "false",
        "QA_LOG_LEVEL": "WARNING",
        "QA_INGEST_BATCH_CHUNKS": "16",
        "QA_EMBEDDER": "hashing",  # see killpoint.py
    }
    settings = Settings(data_dir=data, seed_on_start=False)
    # Each run skips what earlier runs committed, so its n-th call is into new articles. With
    # 16-chunk batches every batch of articles is a few chunk upserts, one commit, one cleanup.
    committed: dict[str, int] = {}
    for step, n in (("chunks", 1), ("chunks", 3), ("commit", 2), ("cleanup", 2), ("commit", 1)):
        kill_at(env, feed, step, n)
        per_article, rows = committed_state(settings)
        visible = sum(per_article.values())
        print(f"killed before {step} #{n}: {len(per_article)} articles, {visible} visible of {rows} chunk rows")
        assert len(per_article) < N_ARTICLES, "the kill should land midway"
        assert set(committed) <= set(per_article)  # what was committed stays committed
        # Every article a reader can see is whole: all its chunks, of the committed version.
        for aid, n_chunks in per_article.items():
            assert n_chunks == expected_chunks[aid], f"{aid}: {n_chunks} of {expected_chunks[aid]} chunks visible"
        if step == "commit":  # its chunks were written, their records not: stored but unseen
            assert rows > visible
        if step == "cleanup":  # its batch committed just before the kill
            assert len(per_article) > len(committed)
        committed = per_article
    assert committed, "no kill left anything committed: the test did not exercise a midway state"

    # The re-run repairs leftovers, skips what is stored, and stores the rest.
    rerun = run_ingest(env, feed)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads(rerun.stdout)
    assert sorted(report["unchanged"]) == sorted(committed)
    assert len(report["added"]) == N_ARTICLES - len(committed) and not report["errors"]

    final, all_rows = committed_state(settings)
    assert final == expected_chunks
    assert all_rows == sum(expected_chunks.values())  # no orphaned chunks left behind

    again = run_ingest(env, feed)  # and it is idempotent from here
    assert json.loads(again.stdout)["added"] == []
