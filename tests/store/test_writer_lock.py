"""One writing process per embedded data dir: a second writer is refused with the holder's name
and the fix; a killed holder leaves no lock; readers are not refused and see what was written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from qa.errors import StoreUnavailable
from qa.store.writer_lock import claim_writer, release_writer
from qa.testing.api_server import start_qa_server

HOLD = (
    "import sys, time; from pathlib import Path; from qa.store.writer_lock import claim_writer; "
    "claim_writer(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)"
)


def test_a_second_writer_is_refused_until_the_first_is_gone(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreUnavailable, match=rf"in use by pid {holder.pid} .*QA_CHROMA_URL"):
            claim_writer(tmp_path)
    finally:
        holder.kill()  # SIGKILL: no clean-up of its own, the kernel drops the lock
        holder.wait()
    claim_writer(tmp_path)
    claim_writer(tmp_path)  # again in the same process: it already is the writer
    release_writer(tmp_path)


def test_a_cli_writer_beside_a_running_server_is_refused_and_readers_see_its_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_SEED_ON_START": "false"}
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({"id": "lock-1", "title": "Ferry", "text": "The zqlockferry ferry sailed on Tuesday."}))
    with start_qa_server(data, env={"QA_SEED_ON_START": "false"}) as server:
        r = subprocess.run(
            [sys.executable, "-m", "qa.cli", "ingest", str(feed)], env=env, capture_output=True, text=True
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"is in use by pid {server.pid} (qa serve)" in r.stderr and "qa ingest --server" in r.stderr
        # Through the server instead, then a CLI reader beside it sees the article.
        art = {"id": "lock-2", "title": "Harbor", "text": "The zqlockharbor harbor reopened on Tuesday."}
        assert httpx.post(f"{server.url}/articles", json=art, timeout=60).status_code == 200
        r = subprocess.run(
            [sys.executable, "-m", "qa.cli", "search", "zqlockharbor", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["hits"][0]["article_id"] == "lock-2"


def test_a_second_qa_serve_on_the_same_data_dir_is_refused_at_start(tmp_path: Path) -> None:
    """The attack's second half: two `qa serve` on one embedded data dir, where B missed every
    article written through A. B now stops at start with one line naming A and the fixes."""
    data = tmp_path / "data"
    with start_qa_server(data, env={"QA_SEED_ON_START": "false"}) as first:
        with pytest.raises(RuntimeError) as refused:
            start_qa_server(data, env={"QA_SEED_ON_START": "false"}, timeout_s=60)
        said = str(refused.value)
        assert f"is in use by pid {first.pid} (qa serve)" in said and "Traceback" not in said, said
        assert httpx.get(f"{first.url}/healthz", timeout=30).status_code == 200  # A serves on
