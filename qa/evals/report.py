"""Eval reports: a console table, Markdown or a self-contained HTML page."""

from __future__ import annotations

import html
from typing import Any

from rich.console import Console
from rich.table import Table

from qa.evals.runner import CaseResult


def _status(r: CaseResult) -> str:
    return "skip" if r.skipped else "PASS" if r.passed else "FAIL"


def _conf(r: CaseResult) -> str:
    return "" if r.confidence is None else f"{r.confidence:.2f}"


def print_console(
    console: Console, results: list[CaseResult], m: dict[str, float], cmp: dict[str, Any], failures: list[str]
) -> None:
    table = Table("case", "kind", "result", "conf", "detail", show_lines=False)
    for r in results:
        style = {"PASS": "green", "FAIL": "red", "skip": "yellow"}[_status(r)]
        table.add_row(r.case.id, r.case.kind, f"[{style}]{_status(r)}[/]", _conf(r), r.detail()[:160])
    console.print(table)
    console.print("  ".join(f"{k}={v}" for k, v in m.items()), highlight=False)
    if cmp.get("baseline"):
        for label, ids, style in (
            ("newly failing", cmp["newly_failing"], "red"),
            ("newly passing", cmp["newly_passing"], "green"),
        ):
            if ids:
                console.print(f"[{style}]{label}:[/] {', '.join(ids)}")
        if cmp["deltas"]:
            console.print("vs baseline: " + "  ".join(f"{k} {v:+}" for k, v in cmp["deltas"].items()))
        if not (cmp["newly_failing"] or cmp["newly_passing"] or cmp["deltas"]):
            console.print("same as the baseline")
    else:
        console.print("[yellow]no baseline for this engine[/]")
    for f in failures:
        console.print(f"[red]threshold failed:[/] {f}")


def markdown(results: list[CaseResult], m: dict[str, float], cmp: dict[str, Any], engine: str) -> str:
    lines = [f"# Eval report ({engine})", "", "| metric | value | vs baseline |", "|---|---|---|"]
    lines += [f"| {k} | {v} | {cmp.get('deltas', {}).get(k, '')} |" for k, v in m.items()]
    if cmp.get("baseline"):
        lines += [
            "",
            f"Newly failing: {', '.join(cmp['newly_failing']) or 'none'}",
            f"Newly passing: {', '.join(cmp['newly_passing']) or 'none'}",
        ]
    lines += ["", "| case | kind | result | confidence | detail |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.case.id} | {r.case.kind} | {_status(r)} | {_conf(r)} | {r.detail().replace('|', '/')} |" for r in results
    ]
    return "\n".join(lines) + "\n"


def html_page(results: list[CaseResult], m: dict[str, float], cmp: dict[str, Any], engine: str) -> str:
    e = html.escape
    rows = "".join(
        f"<tr class='{_status(r).lower()}'><td>{e(r.case.id)}</td><td>{e(r.case.kind)}</td>"
        f"<td>{_status(r)}</td><td>{_conf(r)}</td><td>{e(r.detail())}</td><td>{e(r.output[:300])}</td></tr>"
        for r in results
    )
    metric_rows = "".join(
        f"<tr><td>{e(k)}</td><td>{v}</td><td>{e(str(cmp.get('deltas', {}).get(k, '')))}</td></tr>" for k, v in m.items()
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Eval report ({e(engine)})</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}.fail td{{background:#fde8e8}}
.pass td:nth-child(3){{color:#137333}}.skip td{{color:#999}}</style></head><body>
<h1>Eval report ({e(engine)})</h1><table><tr><th>metric</th><th>value</th><th>vs baseline</th></tr>{metric_rows}</table>
<p>Newly failing: {e(", ".join(cmp.get("newly_failing", [])) or "none")}.
Newly passing: {e(", ".join(cmp.get("newly_passing", [])) or "none")}.</p>
<table><tr><th>case</th><th>kind</th><th>result</th><th>confidence</th><th>detail</th><th>output</th></tr>{rows}
</table></body></html>
"""
