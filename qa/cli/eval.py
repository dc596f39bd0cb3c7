"""``qa eval``: run the eval suites against the service, in-process or on a running server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qa.cli.app import (
    JsonOpt,
    app,
    err,
    out,
    print_json,
)
from qa.config import get_settings


@app.command("eval")
def eval_(
    engine: Annotated[str, typer.Option(help="extractive | llm")] = "extractive",
    cases: Annotated[list[Path] | None, typer.Option("--cases", help="Case files or folders.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only cases with this tag (repeatable).")] = None,
    url: Annotated[str | None, typer.Option(help="Evaluate a running server instead of in-process.")] = None,
    as_json: JsonOpt = False,
    report: Annotated[Path | None, typer.Option(help="Also write a report (.md or .html).")] = None,
    baseline: Annotated[Path | None, typer.Option(help="Baseline file.")] = None,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Record these results.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Only check prompts/ against the baseline.")] = False,
    parallel: Annotated[int, typer.Option(min=1, max=16, help="Cases at once (llm engine or --url).")] = 4,
    dataset: Annotated[
        tuple[str, Path] | None,
        typer.Option(help="An external dataset instead of the cases: `--dataset realtimeqa PATH`."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="With --dataset: only the first N questions.")] = None,
    prompts: Annotated[
        Path | None, typer.Option(help="Run with this prompts folder instead (A/B against the baseline).")
    ] = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Report and compare, but exit 0 whatever the results.")
    ] = False,
) -> None:
    """Run the eval suite; compare with the baseline; fail on a threshold or a regression."""
    from qa.engines.registry import engine_names
    from qa.evals import report as rep
    from qa.evals import runner, suite

    settings = get_settings()
    if dataset is not None:
        name, path = dataset
        if name not in suite.DATASETS:
            raise typer.BadParameter(f"unknown dataset {name!r} (known: realtimeqa)", param_hint="--dataset")
        figures = suite.run_dataset(name, path, engine, limit, settings, say=lambda m: err.print(m))
        if as_json:
            print_json(figures)
        else:
            out.print("  ".join(f"{k}={v}" for k, v in figures.items()))
        return
    baseline_path = baseline or runner.REPO / "evals" / "baseline.json"
    if check:
        drift = runner.check_prompts(baseline_path, settings.prompts_dir)
        if drift:
            err.print(
                "[red]prompts changed since the eval baseline:[/] "
                + ", ".join(drift)
                + "\nrun `qa eval --engine llm` against an endpoint, then `qa eval --engine llm --update-baseline`,"
                " and commit evals/baseline.json"
            )
            raise typer.Exit(1)
        out.print(f"prompts match the baseline ({baseline_path})")
        return
    if engine not in engine_names():
        raise typer.BadParameter(f"unknown engine (known: {', '.join(engine_names())})", param_hint="--engine")
    if prompts is not None and not prompts.is_dir():
        raise typer.BadParameter(f"{prompts} is not a folder", param_hint="--prompts")
    run = suite.run_suite(
        engine,
        baseline_path,
        cases,
        tag,
        url,
        parallel,
        prompts,
        warn=lambda m: err.print(f"[yellow]warning:[/] {m}", highlight=False),
    )
    if as_json:
        print_json(run.to_json())
    else:
        rep.print_console(out, run.results, run.metrics, run.comparison, run.threshold_failures)
    if report:
        run.write_report(report)
    if update_baseline:
        refusal = suite.record_baseline(
            run,
            baseline_path,
            settings.prompts_dir,
            subset=bool(tag),
            report_only=report_only,
            ab_prompts=prompts is not None,
        )
        if refusal:
            err.print(f"[red]baseline not updated:[/] {refusal}", highlight=False)
            raise typer.Exit(2)
        err.print(f"baseline updated: {baseline_path}")
        return
    if report_only:
        # Scores do not gate here, but an error means the engine under test did not answer at all.
        if errors := run.metrics.get("errors"):
            err.print(f"[red]{int(errors)} case(s) ended in an error[/] (report-only: only errors fail)")
            raise typer.Exit(1)
        return
    if run.failed:
        raise typer.Exit(1)
