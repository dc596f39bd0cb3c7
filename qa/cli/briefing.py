"""``qa briefing``: a day's briefing, from the cache without opening the store where it can."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from qa.cli.app import (
    ApiKeyOpt,
    ServerOpt,
    SourceOpt,
    app,
    connect_server,
    day_option,
    err,
    open_services,
)
from qa.config import get_settings


@app.command()
def briefing(
    day: Annotated[
        str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: the latest up to today).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (for an email) | json | html (one page).")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    source: SourceOpt = None,
    max_sections: Annotated[int, typer.Option("--max-sections", min=1, max=50, help="At most this many stories.")] = 10,
    server: ServerOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """The day's stories, most newsworthy first, each with one cited summary."""
    from qa.briefing.render import render_html

    if fmt not in ("md", "json", "html"):
        raise typer.BadParameter("md, json or html", param_hint="--format")
    when = day_option(day, "--date")
    if server:
        params = {"date": day, "source": source or None, "max_sections": max_sections, "format": fmt}
        with connect_server(server, api_key) as remote:
            r = remote.request("GET", "/briefing", params={k: v for k, v in params.items() if v is not None})
        text = r.text if fmt != "json" else json.dumps(r.json(), indent=2, ensure_ascii=False) + "\n"
        _write_out(text, out_file)
        return
    if fmt != "html" and (cached := _cached_briefing(when, source, max_sections)) is not None:
        text = cached["markdown"] if fmt == "md" else json.dumps(cached, indent=2, ensure_ascii=False) + "\n"
        _write_out(text, out_file)
        for note in cached.get("notes", []):
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        return
    result = open_services().briefing(when, source or None, max_sections)
    text = {
        "md": lambda: result.markdown,
        "json": lambda: result.model_dump_json(indent=2) + "\n",
        "html": lambda: render_html(result),
    }[fmt]()
    _write_out(text, out_file)
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)


def _cached_briefing(day: date | None, source: list[str] | None, max_sections: int) -> dict[str, Any] | None:
    """A past day's briefing as the cache holds it, when the embedded store's revision mark shows
    it current: no store opened and no chromadb imported (a second per call). Anything this cannot
    decide (an LLM engine, a Chroma server, today, no mark) is left to the service."""
    settings = get_settings()
    if day is None or day >= date.today() or settings.engine != "extractive" or not settings.embedded():
        return None
    from qa.briefing.cache import cache_key, cached_json

    wanted = tuple(sorted(set(source))) if source else None
    raw = cached_json(settings.data_dir, cache_key(day.isoformat(), wanted, max_sections, "extractive"))
    return json.loads(raw) if raw is not None else None


def _write_out(text: str, out_file: Path | None) -> None:
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}", highlight=False)
    else:
        sys.stdout.write(text)
