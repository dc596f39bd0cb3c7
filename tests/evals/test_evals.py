from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.errors import InvalidInput
from qa.evals import runner
from qa.evals import scorers as sc
from qa.evals.cases import Case, Dataset
from tests.conftest import REPO

OUT = {
    "answer": "Russia launched 5,438 drones. [1] Three died. [2]",
    "abstained": False,
    "citations": [
        {"n": 1, "article_id": "a", "quote": "Russia last month launched 5,438 drones at Ukraine."},
        {"n": 2, "article_id": "a", "quote": "killing three people"},
    ],
}
TEXTS = {"a": "Russia last month launched 5,438 drones at Ukraine. A drone hit a plant, killing three people."}


def test_fact_recall_with_alternatives_and_regex() -> None:
    assert sc.fact_recall([["5438", "5,438"], ["re:three|3 people"]], OUT["answer"]).value == 1.0
    s = sc.fact_recall([["5,438"], ["Izhevsk"]], OUT["answer"])
    assert s.value == 0.5 and s.reason == "missing Izhevsk"


def test_citation_validity_catches_each_broken_invariant() -> None:
    assert sc.citation_validity(OUT, "answer", TEXTS.get).passed
    dangling = {**OUT, "answer": OUT["answer"] + " More. [3]"}
    assert "resolve to no citation" in sc.citation_validity(dangling, "answer", TEXTS.get).reason
    unused = {**OUT, "answer": "Russia launched 5,438 drones. [1]"}
    assert "never used" in sc.citation_validity(unused, "answer", TEXTS.get).reason
    forged = {**OUT, "citations": [OUT["citations"][0], {**OUT["citations"][1], "quote": "killing 300 people"}]}
    assert "not in the article" in sc.citation_validity(forged, "answer", TEXTS.get).reason


def test_citation_support_needs_the_fact_inside_a_quote() -> None:
    assert sc.citation_support([["5,438"]], OUT, "answer").value == 1.0
    out = {
        **OUT,
        "answer": "Russia launched 5,438 drones, officials said. [1]",
        "citations": [{**OUT["citations"][1], "n": 1}],
    }
    s = sc.citation_support([["5,438"]], out, "answer")
    assert s.value == 0.0 and "5,438" in s.reason


def test_abstention_and_grouping_scores() -> None:
    assert not sc.abstention(True, OUT).passed
    assert sc.abstention(False, OUT).passed
    sections = [["a", "b"], ["c"]]
    assert sc.briefing_grouping(sections, [["a", "b"]], [["a", "c"]]).passed
    s = sc.briefing_grouping(sections, [["a", "c"]], [["a", "b"]])
    assert s.value == 0.0 and "not in one section" in s.reason and "should be apart" in s.reason
    assert not sc.every_sentence_cited("One. [1] Two without a cite.").passed


def test_dataset_loads_filters_and_rejects_bad_files(tmp_path: Path) -> None:
    ds = Dataset.load([REPO / "evals" / "cases"])
    assert len(ds.cases) >= 40
    kinds = {c.kind for c in ds.cases}
    assert kinds == {"ask", "abstain", "summary", "briefing"}
    assert all("abstain" in c.tags for c in Dataset.load([REPO / "evals" / "cases"], ["abstain"]).cases)
    (tmp_path / "bad.yaml").write_text("cases:\n  - id: x\n    kind: ask\n")
    with pytest.raises(InvalidInput, match="needs question"):
        Dataset.load([tmp_path])


def test_check_prompts_names_changed_new_and_removed_files(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    baseline = tmp_path / "baseline.json"
    runner.update_baseline(baseline, "llm", [], {}, prompts)
    assert runner.check_prompts(baseline, prompts) == []
    (prompts / "ask.system.md").write_text("You are a pirate.")
    (prompts / "extra.system.md").write_text("new")
    (prompts / "briefing.user.md").unlink()
    assert runner.check_prompts(baseline, prompts) == [
        "ask.system.md (changed)",
        "extra.system.md (new)",
        "briefing.user.md (removed)",
    ]


def test_compare_reports_regressions_and_fixes() -> None:
    a = Case(id="a", kind="abstain", question="q")
    b = Case(id="b", kind="abstain", question="q")
    ok = runner.CaseResult(a, [sc.Score("abstention", 1.0)])
    bad = runner.CaseResult(b, [sc.Score("abstention", 0.0, "answered")])
    baseline = {
        "engines": {
            "extractive": {"metrics": {"pass_rate": 1.0}, "cases": {"a": {"passed": False}, "b": {"passed": True}}}
        }
    }
    m = runner.metrics([ok, bad])
    cmp = runner.compare(baseline, "extractive", [ok, bad], m)
    assert cmp["newly_failing"] == ["b"] and cmp["newly_passing"] == ["a"]
    assert cmp["deltas"]["pass_rate"] == -0.5
    assert m["abstention_recall"] == 0.5
    assert runner.threshold_failures(m) == ["abstention_recall 0.5 < 1.0"]


def test_committed_baseline_matches_the_prompts() -> None:
    """The gate itself: prompts/ may not change without a re-run and a new baseline."""
    drift = runner.check_prompts(REPO / "evals" / "baseline.json", REPO / "prompts")
    assert drift == [], f"prompts changed since evals/baseline.json: {drift}"


def test_cli_check_fails_on_an_edited_prompt(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    env = {**os.environ, "QA_PROMPTS_DIR": str(prompts)}
    cmd = [sys.executable, "-m", "qa.cli", "eval", "--check"]
    assert subprocess.run(cmd, env=env, capture_output=True, cwd=tmp_path).returncode == 0
    (prompts / "summarize.system.md").write_text((prompts / "summarize.system.md").read_text() + "\nBe terse.")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1
    assert "summarize.system.md (changed)" in r.stderr.replace("\n", " ")


def test_an_extractive_run_cannot_accept_a_prompt_change(tmp_path: Path) -> None:
    """Finding 1: the engine that reads no prompt must not record prompt hashes."""
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    baseline = tmp_path / "baseline.json"
    runner.update_baseline(baseline, "llm", [], {}, prompts)
    (prompts / "ask.system.md").write_text("You are a pirate.")
    runner.update_baseline(baseline, "extractive", [], {}, prompts)
    assert runner.check_prompts(baseline, prompts) == ["ask.system.md (changed)"]


def test_a_fallback_answer_is_an_error_not_a_result() -> None:
    """Finding 2: answers from the fallback engine are not the LLM's results."""
    target = runner.Target(None, engine="llm")  # type: ignore[arg-type]
    fell_back = {"engine": "extractive", "notes": ["llm engine failed (connection refused); answered by extractive"]}
    problem = target.engine_problem(fell_back)
    assert problem is not None and "extractive" in problem and "connection refused" in problem
    assert target.engine_problem({"engine": "llm", "notes": []}) is None


def test_no_baseline_from_a_failing_run_an_erroring_run_or_a_subset() -> None:
    """Finding 3."""
    ok = runner.CaseResult(Case(id="a", kind="abstain", question="q"), [sc.Score("abstention", 1.0)])
    bad = runner.CaseResult(Case(id="b", kind="abstain", question="q"), [sc.Score("abstention", 0.0)])
    broken = runner.CaseResult(Case(id="c", kind="abstain", question="q"), error="HTTP 500")
    assert runner.refuse_update([ok], runner.metrics([ok]), subset=False) is None
    assert "thresholds failed" in (runner.refuse_update([ok, bad], runner.metrics([ok, bad]), subset=False) or "")
    assert "error" in (runner.refuse_update([ok, broken], runner.metrics([ok, broken]), subset=False) or "")
    assert "whole suite" in (runner.refuse_update([ok], runner.metrics([ok]), subset=True) or "")


def test_precision_is_scored() -> None:
    """Finding 5: long answers, distractors and numbers inside other numbers no longer pass."""
    dump = " ".join(f"Sentence {i} of the passage says something. [1]" for i in range(30))
    assert sc.concise("ask", dump).value == 0.0 and "sentences" in sc.concise("ask", dump).reason
    assert sc.concise("ask", "5,438 drones. [1] Russia launched 5,438 drones at Ukraine. [1]").value == 1.0
    assert sc.must_not(["re:\\b35\\b"], "killing three people and injuring 35").value == 0.0
    assert sc.fact_recall([["20"]], "in 2025 [1]").value == 0.0
    assert sc.fact_recall([["60"]], "more than 1,600 households [1]").value == 0.0
    assert sc.fact_recall([["60"]], "60 Ukrainian drones were downed [1]").value == 1.0
    assert sc.fact_recall([["1,600"]], "more than 1,600 households [1]").value == 1.0


def test_dump_and_first_sentence_engines_fail_the_gate() -> None:
    """An engine that answers with whole passages fails on length; one that answers with the first
    sentence of the top passage fails on facts."""
    dump = runner.CaseResult(
        Case(id="d", kind="ask", question="q", facts=[["5,438"]]),
        [sc.fact_recall([["5,438"]], "x 5,438 [1]"), sc.concise("ask", "A long sentence here. [1] " * 12)],
    )
    first = runner.CaseResult(
        Case(id="f", kind="ask", question="q", facts=[["Kupol"]]),
        [
            sc.fact_recall([["Kupol"]], "Both sides have raced to improve drone technology. [1]"),
            sc.Score("concise", 1.0),
        ],
    )
    for r in (dump, first):
        assert not r.passed


def test_an_llm_answer_must_report_the_prompts_under_test(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    target = runner.Target(None, engine="llm", prompts_dir=prompts)  # type: ignore[arg-type]
    want = target.prompt_versions["ask"]
    assert target.engine_problem({"engine": "llm", "prompt_version": want}) is None
    stale = target.engine_problem({"engine": "llm", "prompt_version": "ask-000000000000"})
    assert stale is not None and "not used" in stale


def test_another_suite_has_a_baseline_of_its_own(tmp_path: Path) -> None:
    """Finding 6: held-out cases are compared with their own baseline, not the main one."""
    baseline = tmp_path / "baseline.json"
    ok = runner.CaseResult(Case(id="h", kind="abstain", question="q"), [sc.Score("abstention", 1.0)])
    runner.update_baseline(baseline, "extractive", [ok], runner.metrics([ok]), REPO / "prompts")
    runner.update_baseline(baseline, "llm", [ok], runner.metrics([ok]), REPO / "prompts", suite="heldout")
    engines = runner.load_baseline(baseline)["engines"]
    assert set(engines) == {"extractive", "llm@heldout"} and "prompt_hashes" not in engines["llm@heldout"]
    assert runner.baseline_key("extractive", "heldout") == "extractive@heldout"
    assert runner.baseline_key("extractive", runner.MAIN_SUITE) == "extractive"


def test_a_suite_run_says_whether_it_failed_prints_as_json_and_records_only_when_it_may(tmp_path: Path) -> None:
    from qa.evals.suite import SuiteRun, record_baseline

    ok = runner.CaseResult(Case(id="a", kind="abstain", question="q"), [sc.Score("abstention", 1.0)], output="-")
    bad = runner.CaseResult(Case(id="b", kind="abstain", question="q"), [sc.Score("abstention", 0.0)])

    def run_of(results: list[runner.CaseResult]) -> SuiteRun:
        m = runner.metrics(results)
        cmp = runner.compare({}, "extractive", results, m)
        return SuiteRun("extractive", runner.MAIN_SUITE, results, m, cmp, runner.threshold_failures(m))

    good, failing = run_of([ok]), run_of([ok, bad])
    assert not good.failed and failing.failed
    assert good.to_json()["cases"] == [
        {
            "id": "a",
            "kind": "abstain",
            "passed": True,
            "detail": "",
            "scores": {"abstention": 1.0},
            "output": "-",
            "confidence": None,
        }
    ]
    assert set(good.to_json()) == {"engine", "metrics", "comparison", "threshold_failures", "cases"}
    baseline = tmp_path / "baseline.json"
    assert "thresholds failed" in (record_baseline(failing, baseline, REPO / "prompts", subset=False) or "")
    assert not baseline.exists()
    assert record_baseline(failing, baseline, REPO / "prompts", subset=False, report_only=True) is None
    assert "A/B" in (record_baseline(good, baseline, REPO / "prompts", subset=False, ab_prompts=True) or "")
    assert record_baseline(good, baseline, REPO / "prompts", subset=False) is None
    assert set(runner.load_baseline(baseline)["engines"]["extractive"]["cases"]) == {"a"}


def test_heldout_report_only_exits_0_and_names_its_baseline() -> None:
    import os
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", "eval", "--cases", str(REPO / "evals" / "heldout"), "--report-only"],
        capture_output=True,
        text=True,
        env={**os.environ},
        cwd=REPO,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-500:]
    assert "no baseline for this engine" not in r.stdout  # compared with extractive@heldout


def test_briefing_scores_top_stories_facts_and_housekeeping() -> None:
    sections = [["crash"], ["buyouts", "buyouts-ny"], ["grammys"], ["starbucks"]]
    assert sc.briefing_top(sections, [["crash"], ["grammys"]], ["crash", "grammys"]).passed
    top = sc.briefing_top(sections, [["crash"], ["starbucks"]], ["crash", "starbucks"])
    assert top.value == 0.5 and "starbucks" in top.reason
    facts = sc.briefing_facts(
        [
            ("crash", "A jet with 64 aboard hit a helicopter over the Potomac. [1]", [["64"], ["Potomac"]]),
            ("x", None, [["a"]]),
        ]
    )
    assert facts.value == 0.5 and "x: in no section" in facts.reason
    raw = [
        {"headline": "Plane and helicopter collide", "summary": "A jet collided with a helicopter. [1]"},
        {"headline": "Tariffs on Mexico, Canada are delayed but levies cause economic ...", "summary": "Ok. [1]"},
        {"headline": "Crash", "summary": "Editor's note: This page reflects news of the crash. [1]"},
    ]
    clean = sc.briefing_clean(raw, ["re:editor.s note"])
    assert not clean.passed and "headline cut off" in clean.reason and "states re:editor.s note" in clean.reason
    assert sc.briefing_clean(raw[:1], ["re:editor.s note"]).passed


def test_briefing_cases_over_the_bench_days_load_them_or_say_why_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = Dataset.load([REPO / "evals" / "briefings"])
    days = {c.date for c in suite.cases if c.corpus == "realtimeqa"}
    assert len(days) >= 8  # the minimum, plus the seed day in its own file
    monkeypatch.setenv("QA_BENCH_DIR", str(tmp_path))
    articles, why = runner.corpus_articles(suite)
    assert articles == [] and why is not None and str(tmp_path) in why
    with pytest.raises(ValueError, match="at most 3"):
        Case(id="x", kind="briefing", date="2025-01-01", top=[["a"], ["b"], ["c"], ["d"]])


def test_report_only_still_fails_when_the_engine_under_test_did_not_answer() -> None:
    """The LLM protocol check is report-only (a tiny model's scores do not gate), but a run whose
    answers came from the fallback is not a report on the LLM: it exits 1."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QA_LLM_BASE_URL": "http://127.0.0.1:9/v1", "QA_LLM_MODEL": "x", "QA_LLM_MAX_RETRIES": "0"}
    args = ["eval", "--engine", "llm", "--cases", str(REPO / "evals" / "protocol"), "--report-only", "--tag", "abstain"]
    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert r.returncode == 1, r.stdout[-800:] + r.stderr[-800:]
    assert "ended in an error" in r.stderr and "only errors fail" in r.stderr


def test_lead_scorer_wants_the_answer_first() -> None:
    facts = [["re:\\b35\\b"]]
    right = sc.leads_with_answer(facts, "35. [1] It killed three people and injured 35. [1]")
    wrong = sc.leads_with_answer(facts, "Three people. [1] It killed three people and injured 35. [1]")
    assert right.passed
    assert not wrong.passed and "'Three people.'" in wrong.reason
    assert sc.leads_with_answer([], "Anything. [1]").passed
