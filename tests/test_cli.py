"""The CLI as a user types it: several words without quotes, missing files, the answer's confidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def qa(*args: str, data_dir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_SEED_DIR": str(REPO / "seeds"), **settings}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], env=env, capture_output=True, text=True, timeout=300, cwd=data_dir
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    r = qa("ingest", str(REPO / "seeds"), "--json", data_dir=d)
    assert r.returncode == 0, r.stderr
    return d


def test_doctor_reports_the_store_and_its_self_retrieval(data_dir: Path) -> None:
    r = qa("doctor", data_dir=data_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4 articles" in r.stdout and "found by their own vectors" in r.stdout
    report = json.loads(qa("doctor", "--json", data_dir=data_dir).stdout)
    assert report["healthy"] and report["self_retrieval"] == 1.0 and 0 < report["sampled"] <= 50
    # The fix doctor names for a degraded index: the same vectors into a fresh one, nothing embedded.
    r = qa("reindex", "--rebuild", data_dir=data_dir)
    assert r.returncode == 0 and f"{report['chunks']} chunks copied with their vectors" in r.stdout, r.stdout + r.stderr
    assert "nothing to re-embed" in qa("reindex", data_dir=data_dir).stdout
    assert json.loads(qa("doctor", "--json", data_dir=data_dir).stdout)["chunks"] == report["chunks"]


def test_qa_ingest_gives_back_the_room_of_replaced_chunks_as_the_server_does(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"

    def write(round_: int) -> None:
        rows = [
            {"id": f"f{i}", "title": f"Ferry {i}", "text": f"The ferry {i} sailed to the pier for round {round_}."}
            for i in range(3)
        ]
        feed.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")

    settings = {"QA_COMPACT_MIN_REPLACED": "2"}
    write(0)
    assert "rebuilt" not in qa("ingest", str(feed), data_dir=tmp_path, **settings).stderr
    write(1)
    r = qa("ingest", str(feed), data_dir=tmp_path, **settings)  # 3 replaced, 3 live: due
    assert r.returncode == 0 and "rebuilt the vector index: 3 live chunks" in r.stderr, r.stderr
    report = json.loads(qa("doctor", "--json", data_dir=tmp_path).stdout)
    assert report["replaced_chunks"] == 0 and report["chunks"] == 3 and report["healthy"]
    write(2)
    qa("ingest", str(feed), data_dir=tmp_path, QA_COMPACT_MIN_REPLACED="0")
    assert json.loads(qa("doctor", "--json", data_dir=tmp_path).stdout)["replaced_chunks"] == 3
    assert "replaced     3 chunks since the vector index was made" in qa("doctor", data_dir=tmp_path).stdout


def test_questions_and_queries_need_no_quotes(data_dir: Path) -> None:
    r = qa("search", "drone", "plant", "Izhevsk", "--k", "2", "--json", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["query"] == "drone plant Izhevsk"
    r = qa(
        "ask", "How", "many", "drones", "did", "Russia", "launch", "at", "Ukraine", "last", "month?", data_dir=data_dir
    )
    assert r.returncode == 0 and "5,438" in r.stdout and "confidence" in r.stdout, r.stdout + r.stderr


def test_ask_json_carries_confidence_and_min_confidence_abstains(data_dir: Path) -> None:
    question = "How many drones did Russia launch at Ukraine last month?"
    body = json.loads(qa("ask", question, "--json", data_dir=data_dir).stdout)
    assert 0 < body["confidence"] <= 1
    strict = json.loads(qa("ask", question, "--min-confidence", "1", "--json", data_dir=data_dir).stdout)
    assert strict["abstained"] or body["confidence"] == 1.0
    bad = qa("ask", question, "--as-of", "yesterday", data_dir=data_dir)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    # The API answers an empty question or query with a 422; the CLI says so too.
    for args in (("ask", " "), ("search", ""), ("summarize", "--query", "")):
        empty = qa(*args, data_dir=data_dir)
        assert empty.returncode == 2 and "it is empty" in empty.stderr and "Traceback" not in empty.stderr, args


def test_a_missing_file_is_an_error_and_no_progress_claims_it_was_done(data_dir: Path) -> None:
    r = qa("ingest", str(data_dir / "missing.jsonl"), data_dir=data_dir)
    assert r.returncode == 1
    assert "no such file" in r.stderr and "done" not in r.stderr


def test_ingest_holds_each_article_to_the_limits_the_api_does(tmp_path: Path) -> None:
    """QA_MAX_ARTICLE_CHARS (and what ingest refuses) apply per article, as over HTTP; unlike a
    request, an ingest stores the rest and is not capped at QA_MAX_BATCH_ARTICLES: it is how a
    corpus of thousands of articles (the RealTime QA set) is loaded."""
    feed = tmp_path / "feed.jsonl"
    items = [
        {"id": "ok", "title": "Harbor news", "text": "The harbor bridge reopened on Friday after two years."},
        {"id": "long", "title": "Long", "text": "Words about the harbor. " * 60},
        {"id": "ok2", "title": "More harbor news", "text": "The harbor ferry resumed service on Saturday."},
    ]
    feed.write_text("\n".join(json.dumps(i) for i in items), encoding="utf-8")
    r = qa("ingest", str(feed), "--json", data_dir=tmp_path, QA_MAX_ARTICLE_CHARS="1000", QA_MAX_BATCH_ARTICLES="1")
    assert r.returncode == 1, r.stderr
    body = json.loads(r.stdout)
    assert body["added"] == ["ok", "ok2"]
    # Refused as it is read, so the error names the file and line.
    assert body["errors"] == [f"{feed}:2: text has 1,440 characters, over the limit of 1,000 (QA_MAX_ARTICLE_CHARS)"]


def test_ingest_honours_a_raised_article_limit(tmp_path: Path) -> None:
    """QA_MAX_ARTICLE_CHARS above the readers' default lets a longer article past the reader (it
    was refused at 1,000,000 characters whatever the setting said); above the setting, the reader
    refuses it naming the setting. The chunk cap then stops it before anything is embedded."""
    feed = tmp_path / "long.jsonl"
    text = " ".join(f"Ferry {i} sailed {i % 97} miles to pier {i % 13}." for i in range(36_000))
    assert len(text) > 1_200_000
    feed.write_text(json.dumps({"id": "long", "title": "Long", "text": text}), encoding="utf-8")
    r = qa(
        "ingest", str(feed), "--json", data_dir=tmp_path, QA_MAX_ARTICLE_CHARS="2000000", QA_MAX_CHUNKS_PER_ARTICLE="10"
    )
    errors = json.loads(r.stdout)["errors"]
    assert len(errors) == 1, errors
    assert errors[0].endswith("more distinct chunks than the limit of 10 (QA_MAX_CHUNKS_PER_ARTICLE)"), errors
    r = qa("ingest", str(feed), "--json", data_dir=tmp_path, QA_MAX_ARTICLE_CHARS="1100000")
    assert r.returncode != 0
    assert "over the limit of 1,100,000 (QA_MAX_ARTICLE_CHARS)" in r.stdout + r.stderr


def test_help_is_plain(tmp_path: Path) -> None:
    r = qa("--help", data_dir=tmp_path)
    assert r.returncode == 0 and "Usage: " in r.stdout and "<bool>" not in r.stdout


def test_a_store_of_another_embedder_is_one_line_until_qa_reindex(tmp_path: Path) -> None:
    from qa.config import Settings
    from qa.embeddings import HashingEmbedder
    from qa.models import Article
    from qa.services import Services
    from qa.testing.process import free_port

    articles = [
        Article(id="drones", title="Record drone attacks", text="Russia launched 5,438 drones at Ukraine in June."),
        Article(id="bread", title="Bakery wins award", text="A bakery in Vermont won an award for its sourdough."),
    ]
    settings = Settings(data_dir=tmp_path, seed_on_start=False)  # type: ignore[call-arg]
    Services.from_settings(settings, embedder=HashingEmbedder(64)).ingestor.ingest(articles)

    refused = "error: the store's vectors come from the embedder hashing-64 (64 dims), but this process embeds with "
    r = qa("search", "drones", data_dir=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith(refused) and len(r.stderr.splitlines()) == 1, r.stderr
    assert "all-MiniLM-L6-v2-int8: run `qa reindex`" in r.stderr
    r = qa("serve", "--no-seed", "--port", str(free_port()), data_dir=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith(refused) and len(r.stderr.splitlines()) == 1, r.stderr

    r = qa("reindex", "--batch", "1", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("re-embedded 2 chunks with all-MiniLM-L6-v2-int8 (384 dims) in ")
    assert r.stdout.rstrip().endswith("; the store now uses it (was hashing-64)")
    assert r.stderr.splitlines()[-1] == "reindex: 2/2 chunks"
    hits = json.loads(qa("search", "drones", "--json", data_dir=tmp_path).stdout)["hits"]
    assert hits[0]["article_id"] == "drones"
    again = qa("reindex", data_dir=tmp_path)
    assert again.stdout.strip() == (
        "nothing to re-embed: the store's vectors come from all-MiniLM-L6-v2-int8"
        " (--rebuild copies them into a fresh index)"
    )


def test_workers_lists_none_before_any_ran(tmp_path: Path) -> None:
    r = qa("workers", data_dir=tmp_path)
    assert r.returncode == 0 and "no ingest worker has been heard from" in r.stderr
    r = qa("workers", "--json", data_dir=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_a_bad_queue_url_is_one_line(tmp_path: Path) -> None:
    r = qa("worker", data_dir=tmp_path, QA_QUEUE_URL="http://redis:6379")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "QA_QUEUE_URL" in r.stderr and "is not a Redis URL" in r.stderr


_IN_PROCESS = """
import sys
from qa.cli import main
sys.argv = ["qa", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
finally:
    print("chromadb imported" if "chromadb" in sys.modules else "chromadb not imported", file=sys.stderr)
"""


_HEAVY = ("chromadb", "onnxruntime", "numpy", "tokenizers", "openai", "fastapi", "uvicorn")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["ask", "--help"], ["ingest", "--help"], ["ask", "When?", "--server", "http://127.0.0.1:9"]],
    ids=["help", "ask-help", "ingest-help", "ask-server"],
)
def test_help_and_server_commands_load_no_store_model_or_web_stack(args: list[str], tmp_path: Path) -> None:
    """A newcomer's `qa --help` took 3 s of imports. Help, and commands that ask a running server,
    import none of the store, the models or the web stack (a refused connection is fine here)."""
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('loaded:', *[m for m in {_HEAVY!r} if m in sys.modules], file=sys.stderr))\n"
        "sys.argv = ['qa', *sys.argv[1:]]\n"
        "from qa.cli import main\n"
        "main()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "QA_DATA_DIR": str(tmp_path)},
    )
    assert "loaded:" in r.stderr, r.stderr
    assert r.stderr.rsplit("loaded:", 1)[1].split() == [], r.stderr


def test_a_cached_briefing_is_served_without_opening_the_store_until_a_write(tmp_path: Path) -> None:
    tmp_path = tmp_path / "my data #1"  # a path a file: URI must escape
    tmp_path.mkdir()

    def briefing() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "QA_DATA_DIR": str(tmp_path)}
        cmd = [sys.executable, "-c", _IN_PROCESS, "briefing", "--date", "2025-07-01", "--format", "json"]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert qa("ingest", str(REPO / "seeds"), data_dir=tmp_path).returncode == 0
    built = briefing()
    assert built.returncode == 0 and "chromadb imported" in built.stderr, built.stderr
    cached = briefing()
    assert cached.returncode == 0 and "chromadb not imported" in cached.stderr, cached.stderr
    assert cached.stdout == built.stdout  # the same bytes the service writes
    md = qa("briefing", "--date", "2025-07-01", data_dir=tmp_path)
    assert md.stdout == json.loads(built.stdout)["markdown"]

    # A write to the store retires the mark: the next call asks the store and sees the new article.
    new = tmp_path / "new.json"
    new.write_text(
        json.dumps(
            {
                "title": "Harbour bridge reopens after repairs",
                "text": "The harbour bridge reopened on Tuesday after six weeks of repairs, officials said. "
                "Traffic returned to both lanes by the evening rush hour.",
                "published": "2025-07-01",
                "source": "Example Post",
            }
        )
    )
    assert qa("ingest", str(new), data_dir=tmp_path).returncode == 0
    after = briefing()
    assert after.returncode == 0 and "chromadb imported" in after.stderr, after.stderr
    assert "Harbour bridge" in after.stdout and "Harbour bridge" not in built.stdout
    assert "chromadb not imported" in briefing().stderr  # and the rebuilt day is served fast again


def test_ask_search_and_briefing_through_a_running_server(tmp_path: Path) -> None:
    """`--server URL` gives what the local store gives, from a server's store (seeds loaded at start),
    with its API key; a refusal or an unreachable server is one line."""
    from qa.testing.api_server import start_qa_server

    empty = tmp_path / "client"  # this side has no store at all
    empty.mkdir()
    with start_qa_server(tmp_path / "server", env={"QA_API_KEYS": "sekrit-key-1"}) as server:
        key = {"QA_SERVER_API_KEY": "sekrit-key-1"}
        r = qa(
            "ask",
            "How many drones did Russia launch at Ukraine last month?",
            "--server",
            server.url,
            data_dir=empty,
            **key,
        )
        assert r.returncode == 0 and "5,438" in r.stdout and "confidence" in r.stdout, r.stdout + r.stderr
        r = qa("search", "drone", "plant", "--k", "2", "--json", "--server", server.url, data_dir=empty, **key)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["query"] == "drone plant" and len(json.loads(r.stdout)["hits"]) == 2
        r = qa("briefing", "--date", "2025-07-01", data_dir=empty, QA_SERVER=server.url, **key)
        assert r.returncode == 0 and r.stdout.startswith("## Briefing for 2025-07-01"), r.stderr
        assert not (empty / "chroma").exists()  # nothing was opened here

        wrong = qa("ask", "What happened?", "--server", server.url, data_dir=empty, QA_SERVER_API_KEY="nope")
        assert wrong.returncode == 2 and "answered 401" in wrong.stderr and "Traceback" not in wrong.stderr
        bad_day = qa("briefing", "--date", "2025-13-01", "--server", server.url, data_dir=empty, **key)
        assert bad_day.returncode == 2 and "Traceback" not in bad_day.stderr
    gone = qa("ask", "What happened?", "--server", server.url, data_dir=empty)
    assert gone.returncode == 2 and "cannot reach http://127.0.0.1:" in gone.stderr, gone.stderr


def test_doctor_exits_1_on_a_store_flooded_past_the_ingest_guard(tmp_path: Path, minilm: object) -> None:
    """The figure that shows damage whatever its cause: 150 copies of one text written straight into
    the store (past the ingest guard, as a bug or another writer could) make `qa doctor` fail and
    name the fix."""
    from qa.config import Settings
    from qa.store.registry import open_store
    from qa.testing.store_contract import art, put

    assert qa("ingest", str(REPO / "seeds"), data_dir=tmp_path).returncode == 0
    assert qa("doctor", data_dir=tmp_path).returncode == 0
    store = open_store(Settings(data_dir=tmp_path, seed_on_start=False))  # type: ignore[call-arg]
    for i in range(150):
        put(store, minilm, art(20 + i % 10, id=f"copy{i}", text="The same words, sent many times."))  # type: ignore[arg-type]
    r = qa("doctor", data_dir=tmp_path)
    said = " ".join(r.stdout.split())  # the terminal wraps long lines
    assert r.returncode == 1 and "degraded" in said and "qa reindex --rebuild" in said, r.stdout + r.stderr
