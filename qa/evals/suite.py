"""A run of the eval suite as ``qa eval`` makes it: the cases against a target (in-process or a
running server), metrics, the comparison with the baseline, threshold failures, a report file and
the baseline update; and runs over an external dataset. The CLI parses options and prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.evals import runner
from qa.evals.cases import Dataset
from qa.evals.runner import CaseResult

DATASETS = ("realtimeqa",)


@dataclass
class SuiteRun:
    engine: str
    suite_name: str  # runner.MAIN_SUITE, or the names of the --cases folders
    results: list[CaseResult]
    metrics: dict[str, float]
    comparison: dict[str, Any]
    threshold_failures: list[str]

    @property
    def failed(self) -> bool:
        """A threshold failed, a case that passed in the baseline fails now, or a case errored."""
        return bool(self.threshold_failures or self.comparison["newly_failing"] or self.metrics.get("errors"))

    def to_json(self) -> dict[str, Any]:
        """What ``qa eval --json`` prints."""
        return {
            "engine": self.engine,
            "metrics": self.metrics,
            "comparison": self.comparison,
            "threshold_failures": self.threshold_failures,
            "cases": [
                {
                    "id": r.case.id,
                    "kind": r.case.kind,
                    "passed": r.passed,
                    "detail": r.detail(),
                    "scores": {s.name: s.value for s in r.scores},
                    "output": r.output,
                    "confidence": r.confidence,
                }
                for r in self.results
            ],
        }

    def write_report(self, path: Path) -> None:
        """A report file: HTML for ``.html``, else Markdown."""
        from qa.evals import report as rep

        render = rep.html_page if path.suffix == ".html" else rep.markdown
        text = render(self.results, self.metrics, self.comparison, self.engine)
        path.write_text(text, encoding="utf-8")


def run_suite(
    engine: str,
    baseline_path: Path,
    cases: list[Path] | None = None,
    tags: list[str] | None = None,
    url: str | None = None,
    parallel: int = 4,
    prompts: Path | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> SuiteRun:
    """Run the cases (default: evals/cases) against ``url``, else the app in-process on a fresh
    store, and compare with the baseline at ``baseline_path``. ``warn`` hears of skipped cases."""
    suite = Dataset.load(cases or [runner.REPO / "evals" / "cases"], tags)
    extra, missing = runner.corpus_articles(suite) if not url else ([], None)
    if missing:
        warn(f"{missing}: the cases about its days are skipped")
    target_cm = runner.remote_target(url) if url else runner.in_process_target(engine, prompts, extra)
    with target_cm as target:
        workers = parallel if (url or engine == "llm") else 1  # extractive in-process: deterministic order
        results = runner.run(suite, target, workers)
    m = runner.metrics(results)
    # A folder of cases other than evals/cases (the held-out ones) is a suite with its own baseline.
    suite_name = "+".join(sorted(p.resolve().name for p in cases)) if cases else runner.MAIN_SUITE
    key = runner.baseline_key(engine, suite_name)
    cmp = runner.compare(runner.load_baseline(baseline_path), key, results, m)
    return SuiteRun(engine, suite_name, results, m, cmp, runner.threshold_failures(m))


def record_baseline(
    run: SuiteRun,
    baseline_path: Path,
    prompts_dir: Path,
    *,
    subset: bool,
    report_only: bool = False,
    ab_prompts: bool = False,
) -> str | None:
    """Record the run as the baseline of its engine and suite; or say why not (and record nothing)."""
    refusal = runner.refuse_update(run.results, run.metrics, subset=subset)
    if refusal and report_only and "thresholds failed" in refusal:
        refusal = None  # a report-only suite records what it scores; its thresholds do not gate
    if ab_prompts and refusal is None:
        refusal = "an A/B run (--prompts) is for comparing; copy the prompts into prompts/ to record them"
    if refusal:
        return refusal
    runner.update_baseline(baseline_path, run.engine, run.results, run.metrics, prompts_dir, run.suite_name)
    return None


def run_dataset(
    name: str, path: Path, engine: str, limit: int | None, settings: Settings, say: Callable[[str], None]
) -> dict[str, Any]:
    """Answer accuracy and evidence recall on an external dataset (``name`` in :data:`DATASETS`).

    Its articles go into a store of their own (``QA_DATA_DIR/eval-<name>``), never the one a
    server answers from. With ``limit``, only the first questions are asked, and only the news of
    their weeks (published up to 7 days before each question's date) is stored."""
    from qa.evals import realtimeqa
    from qa.schemas import AnswerOut
    from qa.services import Services

    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}")
    articles, questions = realtimeqa.load(path)
    if limit:
        questions = questions[:limit]
        articles = realtimeqa.news_of(articles, questions)
    data_dir = settings.data_dir / f"eval-{name}"
    settings = settings.model_copy(update={"engine": engine, "seed_on_start": False, "data_dir": data_dir})
    services = Services.from_settings(settings)
    say(f"ingesting {len(articles)} articles into {data_dir} (what is stored already is skipped)")
    done, shown = [0], [time.monotonic()]

    def progress(n: int) -> None:
        done[0] += n
        if time.monotonic() - shown[0] >= 5 or done[0] == len(articles):
            say(f"ingest: {done[0]}/{len(articles)} articles")
            shown[0] = time.monotonic()

    services.ingest(articles, progress=progress)
    answers = []
    for q in questions:
        answers.append(AnswerOut.of(services.ask(q["question"])).model_dump(mode="json"))
    return realtimeqa.score(questions, answers)
