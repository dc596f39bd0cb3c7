"""Run the eval cases against the service (in-process, or a running server) and compare baselines.

In-process, the suite builds the real FastAPI app on a fresh store holding ``seeds/``,
``evals/corpus/``, ``evals/heldout/corpus/`` (the articles only held-out cases were written
about; the reader is never trained on them) and, for cases that name it, the days of the RealTime QA bench set they are
about (read from the bench data at run time, never copied into the project), so both modes
exercise the same HTTP shapes as users see.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from qa.engines.registry import PROMPTED
from qa.evals import scorers as sc
from qa.evals.cases import Case, Dataset
from qa.models import Article
from qa.prompts import load_prompt, prompt_hashes

REPO = Path(__file__).resolve().parent.parent.parent
# What every suite runs over. bench/tools/train_reader.py trains on the first two only.
EVAL_CORPUS = (REPO / "seeds", REPO / "evals" / "corpus", REPO / "evals" / "heldout" / "corpus")
MAIN_SUITE = "main"  # evals/cases; a --cases folder is a suite of its own, named after the folder
# fact_recall counts the paraphrase cases too, which no tuning saw; any case that passed in the
# baseline and now fails fails the gate on its own, whatever the totals.
THRESHOLDS = {"fact_recall": 0.8, "citation_validity": 1.0, "abstention_recall": 1.0}


@dataclass
class CaseResult:
    case: Case
    scores: list[sc.Score] = field(default_factory=list)
    output: str = ""
    confidence: float | None = None
    error: str | None = None
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and self.error is None and all(s.passed for s in self.scores)

    def detail(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        if self.error:
            return f"error: {self.error}"
        return "; ".join(f"{s.name}: {s.reason}" for s in self.scores if not s.passed and s.reason)


class Target:
    """The service under test, spoken to over its HTTP API."""

    def __init__(
        self, client: httpx.Client, engine: str | None = None, prompts_dir: Path | None = None
    ) -> None:  # a FastAPI TestClient is an httpx.Client too
        self.client = client
        self.engine = engine  # the engine the run is for; None: whatever the server runs
        # For the llm engine: the prompt versions every answer must report, or it did not use them.
        self.prompt_versions: dict[str, str] = {}
        if engine in PROMPTED and prompts_dir is not None:
            self.prompt_versions = {t: load_prompt(prompts_dir, t).version for t in ("ask", "summarize")}
        self._texts: dict[str, str | None] = {}
        self._titles: list[tuple[str, str]] | None = None

    def article_text(self, article_id: str) -> str | None:
        if article_id not in self._texts:
            r = self.client.get(f"/articles/{article_id}")
            self._texts[article_id] = r.json()["text"] if r.status_code == 200 else None
        return self._texts[article_id]

    def resolve(self, ref: str) -> set[str]:
        """An article id, or the ids of the articles whose title contains ``ref``."""
        if self._titles is None:
            listing = self.client.get("/articles", params={"limit": 1000}).json()["articles"]
            self._titles = [(a["id"], a["title"]) for a in listing]
        return {aid for aid, title in self._titles if aid == ref or ref.lower() in title.lower()}

    def engine_problem(self, out: dict[str, Any], task: str = "ask") -> str | None:
        """A response made by another engine than the one under test (a fallback), or with other
        prompts than the ones under test, is no result of them."""
        if self.engine is not None and out.get("engine") != self.engine:
            notes = "; ".join(out.get("notes") or [])
            return f"answered by the {out.get('engine')} engine, not {self.engine} ({notes or 'no note'})"
        want = self.prompt_versions.get(task)
        if want is not None and out.get("prompt_version") != want and not out.get("abstained"):
            return f"prompt_version {out.get('prompt_version')!r}, not {want!r}: the prompts under test were not used"
        return None

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.client.post(path, json=body)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data


def run_case(case: Case, target: Target) -> CaseResult:
    res = CaseResult(case)
    try:
        if case.kind in ("ask", "abstain"):
            body: dict[str, Any] = {"question": case.question}
            if case.filters:
                body["filters"] = case.filters
            out = target.post("/ask", body)
            res.output = out["answer"]
            res.confidence = out.get("confidence")
            if (problem := target.engine_problem(out)) is not None:
                res.error = problem
                return res
            res.scores.append(sc.abstention(case.kind == "abstain", out))
            res.scores.append(sc.citation_validity(out, "answer", target.article_text))
            if case.kind == "ask":
                res.scores.append(sc.fact_recall(case.facts, out["answer"]))
                if not out["abstained"]:
                    res.scores.append(sc.leads_with_answer(case.facts, out["answer"]))
                res.scores.append(sc.concise("ask", out["answer"]))
                if case.must_not:
                    res.scores.append(sc.must_not(case.must_not, out["answer"]))
                res.scores.append(sc.citation_support(case.facts, out, "answer"))
                if case.source:
                    refs = [case.source] if isinstance(case.source, str) else case.source
                    expected = {i for ref in refs for i in target.resolve(ref)}
                    res.scores.append(sc.source_hit(expected, out, " or ".join(refs)))
        elif case.kind == "summary":
            if case.article:
                ids = sorted(target.resolve(case.article))
                if len(ids) != 1:
                    res.error = f"article {case.article!r} matches {len(ids)} articles"
                    return res
                out = target.post("/summarize", {"article_id": ids[0]})
            else:
                out = target.post("/summarize", {"query": case.query})
            res.output = out["summary"]
            if (problem := target.engine_problem(out, "summarize")) is not None:
                res.error = problem
                return res
            res.scores.append(sc.citation_validity(out, "summary", target.article_text))
            res.scores.append(sc.concise("summary", out["summary"]))
            res.scores.append(sc.fact_recall(case.facts, out["summary"], name="summary_coverage"))
            res.scores.append(sc.every_sentence_cited(out["summary"]))
        else:
            return _briefing_case(case, target, res)
    except httpx.HTTPStatusError as exc:
        res.error = f"HTTP {exc.response.status_code}: {exc.response.text[:200]}"
    except httpx.HTTPError as exc:
        res.error = f"request failed: {exc}"
    return res


def _briefing_case(case: Case, target: Target, res: CaseResult) -> CaseResult:
    r = target.client.get("/briefing", params={"date": str(case.date)})
    if r.status_code == 404 and "error" in r.json() and "briefing" not in r.text.lower():
        res.skipped = "the service has no /briefing route"
        return res
    r.raise_for_status()
    out = r.json()
    if (problem := target.engine_problem(out, "briefing")) is not None:
        res.error = problem
        return res
    raw = out["sections"]
    if case.corpus and not raw:
        res.skipped = f"no {case.corpus} articles of {case.date} are loaded"
        return res
    # Stories listed under "Also today" are stories of their own for grouping, after the full ones.
    sections = [s.get("article_ids", []) for s in raw] + [a.get("article_ids", []) for a in out.get("also", [])]

    def ids(ref: str) -> list[str]:
        return sorted(target.resolve(ref))

    together = [[i for ref in g for i in ids(ref)] for g in case.together]
    apart = [[ids(ref)[0] if ids(ref) else ref for ref in g] for g in case.apart]
    res.output = "\n".join(f"{k}. {s['headline']}: {s['summary']}" for k, s in enumerate(raw, 1))
    res.scores.append(sc.briefing_grouping(sections, together, apart))
    if case.top:
        top = [[i for ref in story for i in ids(ref)] for story in case.top]
        res.scores.append(sc.briefing_top(sections, top, [" | ".join(story) for story in case.top]))
    if case.story_facts:
        checks = []
        for sf in case.story_facts:
            wanted = set(ids(sf.story))
            home = next((s for s in raw if wanted & set(s.get("article_ids", []))), None)
            checks.append((sf.story, home["summary"] if home else None, sf.facts))
        res.scores.append(sc.briefing_facts(checks))
    res.scores.append(sc.briefing_clean(raw, case.must_not))
    validity = [sc.citation_validity(s, "summary", target.article_text) for s in raw if s["citations"]]
    res.scores.append(next((v for v in validity if not v.passed), sc.Score("citation_validity", 1.0)))
    return res


def bench_dir() -> Path:
    """Where the RealTime QA data is: $QA_BENCH_DIR, else ../shared/bench/realtimeqa beside the repo."""
    return Path(os.environ.get("QA_BENCH_DIR") or REPO.parent / "shared" / "bench" / "realtimeqa")


def corpus_articles(dataset: Dataset) -> tuple[list[Article], str | None]:
    """The bench articles the dataset's cases name (their days only), or why there are none."""
    days = {c.date for c in dataset.cases if c.corpus == "realtimeqa" and c.date}
    if not days:
        return [], None
    from qa.evals import realtimeqa

    path = bench_dir()
    if not (path / "corpus.jsonl.gz").is_file():
        return [], f"no RealTime QA data at {path} (set QA_BENCH_DIR)"
    return [a for a in realtimeqa.load_articles(path) if a.published_date in days], None


@contextmanager
def in_process_target(engine: str, prompts_dir: Path | None = None, extra: Sequence[Article] = ()) -> Iterator[Target]:
    from fastapi.testclient import TestClient

    from qa.api.app import create_app
    from qa.config import Settings
    from qa.embeddings import CachedEmbedder, MiniLMEmbedder
    from qa.ingest.readers import read_paths
    from qa.services import Services

    with tempfile.TemporaryDirectory(prefix="qa-evals-") as tmp:
        overrides: dict[str, Any] = {"prompts_dir": prompts_dir} if prompts_dir else {}
        settings = Settings(data_dir=Path(tmp), engine=engine, seed_on_start=False, **overrides)
        # Vectors are cached across runs (by content hash), so a re-run embeds nothing.
        embedder = CachedEmbedder(MiniLMEmbedder(), REPO / "evals" / ".cache" / "embeddings.sqlite")
        services = Services.from_settings(settings, embedder=embedder)
        report = services.ingest([*read_paths(list(EVAL_CORPUS)), *extra])
        if report.errors:
            raise RuntimeError(f"the eval corpus did not load: {report.errors}")
        with TestClient(create_app(settings, services)) as client:
            yield Target(client, engine, settings.prompts_dir)  # type: ignore[arg-type]


@contextmanager
def remote_target(url: str) -> Iterator[Target]:
    with httpx.Client(base_url=url, timeout=120) as client:
        yield Target(client)


def run(dataset: Dataset, target: Target, parallel: int = 1) -> list[CaseResult]:
    if parallel <= 1:
        return [run_case(c, target) for c in dataset.cases]
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda c: run_case(c, target), dataset.cases))


def metrics(results: list[CaseResult]) -> dict[str, float]:
    def mean(name: str, kinds: tuple[str, ...] | None = None) -> float | None:
        vals = [
            s.value
            for r in results
            if r.skipped is None and (kinds is None or r.case.kind in kinds)
            for s in r.scores
            if s.name == name
        ]
        return round(statistics.fmean(vals), 4) if vals else None

    ran = [r for r in results if r.skipped is None]
    abstained = [
        r
        for r in ran
        if r.case.kind in ("ask", "abstain")
        and r.error is None
        and any(s.name == "abstention" and (s.value == 1.0) == (r.case.kind == "abstain") for s in r.scores)
    ]
    said_abstain = [r for r in abstained if r.case.kind == "abstain"]
    wrongly_abstained = [
        r for r in ran if r.case.kind == "ask" and any(s.name == "abstention" and s.value == 0 for s in r.scores)
    ]
    abstain_cases = [r for r in ran if r.case.kind == "abstain"]
    out: dict[str, float | None] = {
        "cases": len(results),
        "passed": sum(r.passed for r in results),
        "pass_rate": round(sum(r.passed for r in ran) / len(ran), 4) if ran else None,
        "fact_recall": mean("fact_recall"),
        "citation_validity": mean("citation_validity"),
        "citation_support": mean("citation_support"),
        "lead": mean("lead"),
        "source_hit": mean("source_hit"),
        "abstention_recall": round(len(said_abstain) / len(abstain_cases), 4) if abstain_cases else None,
        "abstention_precision": (
            round(len(said_abstain) / (len(said_abstain) + len(wrongly_abstained)), 4)
            if said_abstain or wrongly_abstained
            else None
        ),
        "summary_coverage": mean("summary_coverage"),
        "briefing_grouping": mean("briefing_grouping"),
        "briefing_top": mean("briefing_top"),
        "briefing_facts": mean("briefing_facts"),
        "briefing_clean": mean("briefing_clean"),
        "errors": sum(r.error is not None for r in results),
        "skipped": sum(r.skipped is not None for r in results),
    }
    return {k: v for k, v in out.items() if v is not None}


def threshold_failures(m: dict[str, float]) -> list[str]:
    return [f"{k} {m[k]} < {v}" for k, v in THRESHOLDS.items() if k in m and m[k] < v - 1e-9]


# -- baselines ----------------------------------------------------------------------------------


def load_baseline(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def baseline_key(engine: str, suite: str) -> str:
    """Where a run's results live in the baseline: the main suite under the engine's name, another
    suite (a folder of cases, such as the held-out ones) under ``engine@suite``."""
    return engine if suite == MAIN_SUITE else f"{engine}@{suite}"


def compare(baseline: dict[str, Any], engine: str, results: list[CaseResult], m: dict[str, float]) -> dict[str, Any]:
    base = baseline.get("engines", {}).get(engine)
    if not base:
        return {"baseline": False, "newly_failing": [], "newly_passing": [], "deltas": {}}
    before = base["cases"]
    now = {r.case.id: r.passed for r in results if r.skipped is None}
    return {
        "baseline": True,
        "newly_failing": sorted(i for i, ok in now.items() if not ok and before.get(i, {}).get("passed")),
        "newly_passing": sorted(i for i, ok in now.items() if ok and i in before and not before[i]["passed"]),
        "deltas": {
            k: round(v - base["metrics"][k], 4)
            for k, v in m.items()
            if isinstance(base["metrics"].get(k), int | float) and v != base["metrics"][k]
        },
    }


def update_baseline(
    path: Path, engine: str, results: list[CaseResult], m: dict[str, float], prompts_dir: Path, suite: str = "main"
) -> None:
    baseline = load_baseline(path)
    entry: dict[str, Any] = {
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "metrics": m,
        "cases": {
            r.case.id: {"passed": r.passed, "scores": {s.name: round(s.value, 4) for s in r.scores}}
            for r in results
            if r.skipped is None
        },
    }
    if engine in PROMPTED and suite == MAIN_SUITE:
        entry["prompt_hashes"] = prompt_hashes(prompts_dir)
        baseline["prompt_hashes"] = entry["prompt_hashes"]
    baseline.setdefault("engines", {})[baseline_key(engine, suite)] = entry
    path.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")


def refuse_update(results: list[CaseResult], m: dict[str, float], subset: bool) -> str | None:
    """Why these results must not become a baseline, or None."""
    if subset:
        return "a baseline is recorded from a whole suite only (no --tag)"
    if m.get("errors"):
        return f"{int(m['errors'])} case(s) ended in an error; a baseline is recorded from a clean run only"
    if failures := threshold_failures(m):
        return "thresholds failed (" + "; ".join(failures) + "); fix them before recording a baseline"
    return None


def check_prompts(path: Path, prompts_dir: Path) -> list[str]:
    """Prompt files that differ from what the llm baseline recorded (changed, added or removed).

    Only a run of the engine that reads the prompts can accept a prompt change: an extractive
    run never records prompt hashes. Baselines older than the per-engine record keep theirs at
    the top level."""
    baseline = load_baseline(path)
    llm = baseline.get("engines", {}).get("llm", {})
    recorded: dict[str, str] = llm.get("prompt_hashes") or baseline.get("prompt_hashes", {})
    current = prompt_hashes(prompts_dir)
    changed = [f"{n} (changed)" for n in sorted(current) if n in recorded and recorded[n] != current[n]]
    added = [f"{n} (new)" for n in sorted(current) if n not in recorded]
    removed = [f"{n} (removed)" for n in sorted(recorded) if n not in current]
    return changed + added + removed
