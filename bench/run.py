"""Benchmarks on the RealTime QA news set (../shared/bench/realtimeqa): ingest, retrieval, /ask.

    python bench/run.py [--quick] [--json] [--no-ask]

--quick: a fixed subset (about 60 articles: the gold articles of the first questions plus fixed
distractors) on a cold store, in about a minute. Without it: the whole corpus, kept in
bench/.cache/full so a re-run embeds nothing (embedding it the first time takes ~30 minutes).
Prints one JSON object. Measurement only: nothing here tunes the code to these questions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa.config import Settings  # noqa: E402
from qa.embeddings import MiniLMEmbedder  # noqa: E402
from qa.evals.realtimeqa import load  # noqa: E402
from qa.ingest.chunking import chunk_article  # noqa: E402
from qa.models import Article, SearchFilters, embedding_text  # noqa: E402
from qa.services import Services  # noqa: E402
from qa.testing.chroma_server import free_port  # noqa: E402

DATA = REPO.parent / "shared" / "bench" / "realtimeqa"


def quick_subset(
    articles: list[Article], questions: list[dict[str, Any]], gold_budget: int = 48, distractors: int = 12
) -> tuple[list[Article], list[dict[str, Any]]]:
    by_id = {a.id: a for a in articles}
    chosen: dict[str, Article] = {}
    for q in questions:  # file order: fixed, not picked for difficulty
        gold = [g for g in q["gold_articles"] if g in by_id]
        new = [g for g in gold if g not in chosen]
        # Questions with few gold articles let the budget cover more questions.
        if len(gold) > 2 or len(chosen) + len(new) > gold_budget:
            continue
        chosen.update((g, by_id[g]) for g in gold)
    for a in sorted(articles, key=lambda a: a.id):
        if len(chosen) >= gold_budget + distractors:
            break
        chosen.setdefault(a.id, a)
    subset = list(chosen.values())
    answerable = [
        q
        for q in questions
        if any(g in chosen for g in q["gold_articles"]) and any(q["answer"].lower() in a.text.lower() for a in subset)
    ]
    return subset, answerable


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return round(s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))], 2)


def contains(answer: str, text: str) -> bool:
    return answer.lower() in text.lower()


def retrieval_figures(services: Services, questions: list[dict[str, Any]], k: int = 5) -> dict[str, Any]:
    """Recall with the question's date as ``as_of`` (as /ask is asked here), and without it; and
    with only the articles published by the question's date, since the corpus also holds later
    reports, which a reader on that day could not have had (``recall_at_5_no_later``)."""
    out: dict[str, Any] = {}
    times: list[float] = []
    for mode, key, dated, no_later in (
        ("hybrid", "recall_at_5", True, False),
        ("hybrid", "recall_at_5_no_later", True, True),
        ("hybrid", "recall_at_5_undated", False, False),
        ("dense", "dense_recall_at_5", False, False),
        ("lexical", "bm25_recall_at_5", False, False),
    ):
        hits_found = gold_found = 0
        for q in questions:
            t = time.perf_counter()
            as_of = dt.date.fromisoformat(q["date"]) if dated else None
            filters = SearchFilters(until=as_of) if no_later else None
            hits = services.retriever.search(q["question"], k=k, mode=mode, as_of=as_of, filters=filters)  # type: ignore[arg-type]
            if key == "recall_at_5":
                times.append((time.perf_counter() - t) * 1000)
            hits_found += any(contains(q["answer"], h.chunk.text) for h in hits)
            gold_found += any(h.article.id in q["gold_articles"] for h in hits)
        out[key] = round(hits_found / len(questions), 3)
        if key == "recall_at_5":
            out["gold_hit_at_5"] = round(gold_found / len(questions), 3)
    out["query_p50_ms"], out["query_p95_ms"] = pct(times, 50), pct(times, 95)
    return out


def reader_figures(services: Services, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The learned reader, cross-validated (folds by question date): its figures on questions it
    was not trained on, at the shipped default ``min_confidence``. See bench/tools/train_reader.py."""
    sys.path.insert(0, str(REPO / "bench" / "tools"))
    import train_reader as tr

    from qa.engines.extractive.ranker import default_model

    rows = tr.cross_validate(tr.dev_records(services, questions) + tr.eval_records())
    rep = tr.report(rows, default_model().default_min_confidence)
    return {
        # The cross-encoder never saw a dev question; the ranker on top of it is cross-validated by day.
        "reader_stage2_features": list(default_model().stage2.features[len(tr.CHEAP) :]),
        "best_candidate_right": rep["top1_any_confidence"],
        "answer_reachable": rep["reachable"],
        "answer_accuracy": rep["answer_accuracy"],
        "answered_precision": rep["answered_precision"],
        "abstain_rate": rep["abstain_rate"],
        "min_confidence": rep["min_confidence"],
        "short_answer_accuracy": rep["short_answer_accuracy"],
        "answer_median_chars": rep["answer_median_chars"],
        "risk_coverage": rep["risk_coverage"],
        "reliability": rep["reliability"],
    }


def briefing_figures(services: Services) -> dict[str, Any]:
    """The busiest day's briefing (extractive engine): built with an empty briefing cache, then
    read from the cache in this process and from a second process (the CLI's case)."""
    from collections import Counter

    days = Counter(m.published_date for m in services.store.list_articles(limit=None) if m.published_date)
    if not days:
        return {}
    day, n = max(days.items(), key=lambda kv: (kv[1], kv[0]))
    service = services.new_briefing_service()
    service.clear_cache()
    t = time.perf_counter()
    briefing = service.build(day, None, 10)
    built_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    service.build(day, None, 10)
    cached_ms = (time.perf_counter() - t) * 1000
    probe = (
        "import sys, time, datetime as dt; from qa.config import Settings; from qa.services import Services; "
        "s = Services.from_settings(Settings(seed_on_start=False)).new_briefing_service(); "
        "d = dt.date.fromisoformat(sys.argv[1]); t = time.perf_counter(); s.build(d, None, 10); "
        "print((time.perf_counter() - t) * 1000, s.hits)"
    )
    env = {**os.environ, "QA_DATA_DIR": str(services.settings.data_dir)}
    out = subprocess.run([sys.executable, "-c", probe, day.isoformat()], env=env, capture_output=True, text=True)
    other_ms, other_hits = out.stdout.split() if out.returncode == 0 else ("nan", "0")
    return {
        "briefing_day": day.isoformat(),
        "briefing_articles": n,
        "briefing_ms": round(built_ms, 1),
        "briefing_cached_ms": round(cached_ms, 2),
        "briefing_cached_other_process_ms": round(float(other_ms), 2) if other_hits == "1" else None,
        "briefing_sections": len(briefing.sections),
    }


def _ask_after_write(base: str, post: Any, questions: list[dict[str, Any]]) -> list[float]:
    """/ask right after a one-article POST /articles, each time; the articles are deleted after."""
    out = []
    for i, q in enumerate(questions):
        text = (
            f"The council of town number {i} met on Tuesday to discuss bike lanes, bus routes and a new park. "
            "Residents asked for safer crossings near the school, and the mayor promised a vote next month."
        )
        article = {"id": f"bench-write-{i}", "title": f"Town {i} council discusses bike lanes", "text": text}
        req = urllib.request.Request(
            f"{base}/articles", data=json.dumps(article).encode(), headers={"content-type": "application/json"}
        )
        urllib.request.urlopen(req, timeout=60).read()
        t = time.perf_counter()
        post(q["question"], q["date"]).read()
        out.append((time.perf_counter() - t) * 1000)
    for i in range(len(questions)):
        urllib.request.urlopen(urllib.request.Request(f"{base}/articles/bench-write-{i}", method="DELETE"), timeout=60)
    return out


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def ask_figures(data_dir: Path, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """/ask over HTTP against `qa serve` on a copy of this store without its embedding cache
    (extractive engine): each question is asked twice, first never asked before (cold: its
    embedding and everything the reader computes are new), then again (warm)."""
    import shutil

    copy = Path(tempfile.mkdtemp(prefix="qa-bench-ask-"))
    shutil.copytree(data_dir, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("embeddings-cache.sqlite*"))
    try:
        return _ask_figures(copy, questions)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _ask_figures(data_dir: Path, questions: list[dict[str, Any]]) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_ENGINE": "extractive"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--no-seed", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        post = lambda q, day=None: urllib.request.urlopen(  # noqa: E731
            urllib.request.Request(
                f"{base}/ask",
                data=json.dumps({"question": q, "as_of": day}).encode(),
                headers={"content-type": "application/json"},
            ),
            timeout=60,
        )
        t = time.perf_counter()
        post("warm-up question")
        first_ms = (time.perf_counter() - t) * 1000
        cold, latencies, correct, abstained = [], [], 0, 0
        for q in questions:
            t = time.perf_counter()
            post(q["question"], q["date"]).read()
            cold.append((time.perf_counter() - t) * 1000)
        for q in questions:
            t = time.perf_counter()
            body = json.loads(post(q["question"], q["date"]).read())
            latencies.append((time.perf_counter() - t) * 1000)
            correct += contains(q["answer"], body["answer"])
            abstained += body["abstained"]
        after_write = _ask_after_write(base, post, questions[:5])
        rss_mb = _rss_mb(proc.pid)
        # The shipped reader was trained on these questions: these two are in-sample, for
        # comparison with the cross-validated figures only.
        return {
            "first_ask_after_start_ms": round(first_ms, 1),
            "ask_after_write_ms": pct(after_write, 50),
            "server_rss_mb": rss_mb,
            "ask_cold_p50_ms": pct(cold, 50),
            "ask_cold_p95_ms": pct(cold, 95),
            "ask_p50_ms": pct(latencies, 50),
            "ask_p95_ms": pct(latencies, 95),
            "ask_answer_accuracy_in_sample": round(correct / len(questions), 3),
            "ask_abstain_rate_in_sample": round(abstained / len(questions), 3),
        }
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 60 articles, cold store, about a minute")
    ap.add_argument("--json", action="store_true", help="print only the JSON object")
    ap.add_argument("--no-ask", action="store_true", help="skip the /ask over HTTP figures")
    ap.add_argument("--data", type=Path, default=DATA, help="the realtimeqa folder")
    ap.add_argument("--store", type=Path, default=None, help="store folder (default: temp for --quick)")
    args = ap.parse_args()
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    articles, questions = load(args.data)
    if args.quick:
        articles, questions = quick_subset(articles, questions)
    store = args.store or (Path(tempfile.mkdtemp(prefix="qa-bench-")) if args.quick else REPO / "bench/.cache/full")
    settings = Settings(data_dir=store, seed_on_start=False)  # type: ignore[call-arg]
    services = Services.from_settings(settings)
    log(f"{len(articles)} articles, {len(questions)} questions, store {store}")

    t = time.perf_counter()
    report = services.ingestor.ingest(articles)
    ingest_s = time.perf_counter() - t
    written = report.chunks
    log(f"ingest: {written} chunks written in {ingest_s:.1f} s ({len(report.unchanged)} articles unchanged)")

    # The bare embedder on a sample of the same chunks, same run, no cache.
    every = [embedding_text(a.title, c.text) for a in articles for c in chunk_article(a)]
    sample = every[:: max(1, len(every) // 200)][:200]  # spread over the whole set
    raw = MiniLMEmbedder(batch_size=settings.embed_batch_size, max_tokens=settings.embed_max_tokens)
    raw.embed(sample[:4])
    t = time.perf_counter()
    raw.embed(sample)
    raw_rate = len(sample) / (time.perf_counter() - t)

    figures: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "articles": services.store.count_articles(),
        "chunks": services.store.count_chunks(),
        "questions": len(questions),
        "ingest_chunks_written": written,
        "ingest_chunks_per_s": round(written / ingest_s, 1) if written else None,
        "raw_embed_chunks_per_s": round(raw_rate, 1),
    }
    figures["ingest_ratio"] = (
        round(figures["ingest_chunks_per_s"] / raw_rate, 3) if figures["ingest_chunks_per_s"] else None
    )
    services.retriever.search("warm up the indexes", k=5)
    figures.update(retrieval_figures(services, questions))
    if not args.quick:  # the quick subset's 39 questions are too few to cross-validate on
        figures.update(reader_figures(services, questions))
    figures.update(briefing_figures(services))
    log(json.dumps(figures))
    if not args.no_ask:
        del services  # the embedded store belongs to one process: hand it to the server
        figures.update(ask_figures(store, questions))
    print(json.dumps(figures, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
