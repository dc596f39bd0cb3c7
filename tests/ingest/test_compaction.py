"""The server gives back the room of replaced chunks on its own (issue 30, #16): a rebuild of the
vector index once replaced chunks are as many as the live ones or more, with writes going on and none lost."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.ingest.compaction import Compactor
from qa.models import Article
from qa.services import Services
from qa.store.protocol import ReindexableStore
from qa.testing.api_server import start_qa_server

TOPICS = ["harbour", "budget", "orchard", "glacier", "library", "stadium", "vineyard", "tramway"]


def story(i: int, round_: int) -> Article:
    topic = TOPICS[i % len(TOPICS)]
    return Article(
        id=f"s{i}",
        title=f"The {topic} story",
        text=f"The {topic} council met for round {round_} of talks on the {topic} and voted on its plan.",
    )


def services(tmp_path: Path, embedder: Embedder, min_replaced: int) -> tuple[Services, ReindexableStore]:
    settings = Settings(data_dir=tmp_path, seed_on_start=False, compact_min_replaced=min_replaced)  # type: ignore[call-arg]
    svc = Services.from_settings(settings, embedder=embedder)
    assert isinstance(svc.store, ReindexableStore)
    return svc, svc.store


def test_the_index_is_rebuilt_once_replaced_chunks_match_the_live_ones(tmp_path: Path, minilm: Embedder) -> None:
    svc, store = services(tmp_path, minilm, min_replaced=5)
    compactor = svc.compactor
    assert isinstance(compactor, Compactor)
    svc.ingest([story(i, 0) for i in range(8)])
    live = store.live_chunks()
    svc.ingest([story(i, 1) for i in range(4)])
    assert store.replaced_chunks() == 4 and not compactor.due()  # fewer than the 8 live ones
    assert compactor.run_once() is None and store.live_chunks() == live
    svc.ingest([story(i, 1) for i in range(4, 8)])
    assert store.replaced_chunks() == 8 and compactor.due()
    report = compactor.run_once()
    assert report is not None and report.switched and report.copied == 8 and report.embedded == 0
    assert store.live_chunks() != live and store.replaced_chunks() == 0 and store.count_chunks() == 8
    assert not compactor.due()
    for i in range(8):  # every article still found, in its latest version
        hits = svc.search(f"{TOPICS[i]} council round 1", k=1)
        assert hits and hits[0].chunk.article_id == f"s{i}" and "round 1 " in hits[0].chunk.text


def test_off_where_it_is_not_the_one_embedded_writer(tmp_path: Path, minilm: Embedder) -> None:
    svc, store = services(tmp_path / "a", minilm, min_replaced=0)
    assert svc.compactor is None
    # Writers sharing a Chroma server would race each other's switches: there it is run by hand.
    shared = Settings(data_dir=tmp_path / "b", chroma_url="http://127.0.0.1:9", seed_on_start=False)  # type: ignore[call-arg]
    assert shared.compact_min_replaced > 0
    assert Services(settings=shared, store=store, embedder=minilm).compactor is None


def test_a_write_just_before_the_switch_is_in_the_index_reads_switch_to(
    tmp_path: Path, minilm: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the review found: a write after the last copy pass lands in the old collection
    only. It used to be missing from the new index until the old one was dropped (for good, if the
    process died in between); the switch now carries it over while writes wait."""
    svc, store = services(tmp_path, minilm, min_replaced=1)
    svc.ingest([story(i, 0) for i in range(4)])
    svc.ingest([story(i, 1) for i in range(4)])
    switch = store.switch_chunks
    seen: list[str] = []

    def write_switch_look(*args: Any, **kwargs: Any) -> str:
        svc.ingest([story(0, 2)])  # after the last pass, before the switch
        retired = switch(*args, **kwargs)
        seen.extend(r.chunk.text for r in store.article_chunks("s0"))  # before the old collection goes
        return retired

    monkeypatch.setattr(store, "switch_chunks", write_switch_look)
    compactor = svc.compactor
    assert compactor is not None and compactor.run_once() is not None
    assert len(seen) == 1 and "round 2 " in seen[0]
    assert store.count_chunks() == 4


def test_writes_during_rebuilds_are_never_lost(tmp_path: Path, minilm: Embedder) -> None:
    """Updates go on, from two threads, while the background compactor rebuilds the index again
    and again: at the end every article is stored in the last version acknowledged, and its
    chunks, and only those, are what search finds."""
    svc, store = services(tmp_path, minilm, min_replaced=3)
    svc.ingest([story(i, 0) for i in range(8)])
    compactor = Compactor(store, minilm, min_replaced=3, every_s=0.01)
    switches: list[str] = []
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()

    failures: list[BaseException] = []

    def writer(ids: range) -> None:
        try:
            for round_ in range(1, 16):
                report = svc.ingest([story(i, round_) for i in ids])
                assert not report.errors, report.errors
                with lock:
                    acknowledged.update({f"s{i}": round_ for i in ids})
        except BaseException as exc:  # a thread's failure must fail the test, not only warn
            failures.append(exc)
            raise

    threads = [threading.Thread(target=writer, args=(r,)) for r in (range(0, 4), range(4, 8))]
    compactor.start()
    try:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            live = store.live_chunks()
            if not switches or switches[-1] != live:
                switches.append(live)
            time.sleep(0.01)
        for t in threads:
            t.join()
        time.sleep(0.3)  # a rebuild due after the last write runs
    finally:
        compactor.stop()
    assert not failures, failures
    assert len(switches) >= 3, "the compactor did not rebuild while writes went on"
    assert len(acknowledged) == 8 and set(acknowledged.values()) == {15}
    for article_id, round_ in acknowledged.items():
        stored = store.get_article(article_id)
        assert stored is not None and f"round {round_} " in stored.text
        chunks = store.article_chunks(article_id)
        assert len(chunks) == 1 and f"round {round_} " in chunks[0].chunk.text
    assert store.count_chunks() == 8  # nothing stale left in the new index either
    for i in range(8):
        hits = svc.search(f"{TOPICS[i]} council round {acknowledged[f's{i}']}", k=1)
        assert hits and hits[0].chunk.article_id == f"s{i}"


def test_qa_serve_rebuilds_on_its_own_and_reports_the_room_it_held(tmp_path: Path) -> None:
    env = {"QA_SEED_ON_START": "false", "QA_COMPACT_MIN_REPLACED": "5", "QA_COMPACT_CHECK_S": "0.2"}
    with start_qa_server(tmp_path / "data", env=env) as server:
        for round_ in range(3):
            body = [story(i, round_).model_dump(mode="json") for i in range(6)]
            assert httpx.post(f"{server.url}/articles", json=body, timeout=120).status_code == 200
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"{server.url}/healthz", timeout=30).json())["replaced_chunks"] != 0:
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert health["chunks"] == 6
        hits = httpx.get(f"{server.url}/search", params={"q": "glacier council round 2", "k": 1}, timeout=30).json()
        assert hits["hits"][0]["article_id"] == "s3"
    # Due once the replaced chunks (6 a round) reach the 6 live ones: after round 2 or round 3.
    held = re.findall(
        r"compaction: the vector index held the room of (\d+) replaced chunks", server.log_path.read_text()
    )
    assert held and all(int(n) >= 6 for n in held)


def test_the_count_is_exact_while_readers_read(tmp_path: Path, minilm: Embedder) -> None:
    """Readers (every search reads the revision record) used to write back a stale count."""
    svc, store = services(tmp_path, minilm, min_replaced=0)
    svc.ingest([story(0, 0)])
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            store.revision()
            store.replaced_chunks()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for round_ in range(1, 61):
            svc.ingest([story(0, round_)])
    finally:
        done.set()
        for t in readers:
            t.join()
    assert store.replaced_chunks() == 60
