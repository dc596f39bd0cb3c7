"""``qa ingest``: read files into the store, or send them to a running server as a job and follow it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qa.cli.app import (
    ApiKeyOpt,
    JsonOpt,
    app,
    err,
    open_services,
    out,
    print_json,
)
from qa.config import get_settings
from qa.errors import ArticleError, InvalidInput, NotFound
from qa.ingest.limits import Limits
from qa.models import Article, ArticleOutcome, IngestReport, failure


def _progress_lines(total: int, every_s: float) -> Callable[[int], None]:
    done, last = 0, 0.0

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= every_s or done == total or every_s == 0:
            last = now
            print(f"ingest: {done}/{total} done", file=sys.stderr, flush=True)

    return advance


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.json, .jsonl[.gz], .txt, .html).")],
    as_json: JsonOpt = False,
    progress_every: Annotated[
        float, typer.Option(min=0, help="Without a terminal: seconds between progress lines (0: every article).")
    ] = 5.0,
    server: Annotated[
        str | None,
        typer.Option(help="Send them to a running server as a background job (POST /ingest) and follow it."),
    ] = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Read articles and add them to the store. Bad files or lines are reported; the rest go in."""
    from qa.ingest.readers import read_paths
    from qa.schemas import IngestResult

    read = list(read_paths(paths, limits=Limits.of(get_settings())))
    # What could not be read is reported as such; progress counts only articles being stored.
    items = [i for i in read if not isinstance(i, ArticleError)]
    unreadable = [failure(None, str(i)) for i in read if isinstance(i, ArticleError)]
    if server:
        _ingest_remote(server, api_key, items, unreadable, as_json, progress_every)
        return
    services = open_services(writer=True)
    repaired = services.repair()
    if not items:
        report = IngestReport()
    elif as_json or not sys.stderr.isatty():
        # No live bar without a terminal: a line at most every few seconds, so a long job shows life.
        report = services.ingest(items, progress=_progress_lines(len(items), progress_every))
    else:
        # Two bars: embedding moves every few articles; storing moves when a batch is written.
        columns = (TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            embedding = bar.add_task("embedded", total=len(items))
            stored = bar.add_task("done", total=len(items))

            def done(n: int) -> None:
                bar.advance(stored, n)
                # Unchanged and refused articles need no embedding: the first bar never trails.
                bar.update(embedding, completed=max(bar.tasks[embedding].completed, bar.tasks[stored].completed))

            report = services.ingest(items, progress=done, embedded=lambda n: bar.advance(embedding, n))
    report.failed = unreadable + report.failed
    result = IngestResult.of(report)
    # This process is the store's one writer now, as `qa serve` is while it runs: it gives back
    # the room of replaced chunks where they call for it, as the server would.
    compacted = services.compactor.run_once() if services.compactor is not None else None
    if as_json:
        print_json(result)
    else:
        if repaired:
            err.print(f"[yellow]repaired: removed {repaired} chunks left by an interrupted ingest[/]")
        if compacted is not None:
            err.print(f"rebuilt the vector index: {compacted.copied} live chunks, in {compacted.seconds:.1f} s")
        for e in result.errors:
            err.print(f"[red]error[/] {e}", highlight=False)
        out.print(
            f"added {len(result.added)}, updated {len(result.updated)}, "
            f"unchanged {len(result.unchanged)}, chunks {result.chunks}"
            + (f", [red]failed {len(result.errors)}[/]" if result.errors else "")
        )
    if result.errors:
        raise typer.Exit(1)


def _ingest_remote(
    server: str,
    api_key: str | None,
    items: list[Article],
    unreadable: list[ArticleOutcome],
    as_json: bool,
    every_s: float,
) -> None:
    """POST the articles as one job, then follow it until it ends; the exit code says how it went.
    The job runs on the server whatever happens here: a dropped connection or Ctrl-C only stops
    the following, and says where to look."""
    import httpx

    from qa.remote import message

    headers = {"X-API-Key": api_key} if api_key else {}
    body = {"articles": [a.model_dump(mode="json", exclude_none=True) for a in items]}
    with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120.0) as http:
        try:
            r = http.post("/ingest", json=body)
        except httpx.HTTPError as exc:
            raise InvalidInput(f"cannot reach {server}: {exc}") from None
        if r.status_code != 202:
            for u in unreadable:
                err.print(f"[red]error[/] {u}", highlight=False)
            raise InvalidInput(f"{server} refused the job ({r.status_code}): {message(r)}")
        accepted = r.json()
        # The job's path on the server we were given, whatever URL the answer names.
        url = f"/ingest/{accepted['job_id']}"
        err.print(f"job {accepted['job_id']} queued: {accepted['total']} articles ({server.rstrip('/')}{url})")
        try:
            job = _follow_job(http, url, every_s)
        except KeyboardInterrupt:
            err.print(f"stopped following; the job goes on: {server.rstrip('/')}{url}")
            raise typer.Exit(130) from None
    failed = [a for a in job.articles if a.status == "failed"]
    if as_json:
        print_json(job)
    else:
        named = [str(failure(a.id, a.reason or "not stored", index=a.index)) for a in failed]
        for e in [*map(str, unreadable), *named]:
            err.print(f"[red]error[/] {e}", highlight=False)
        counts = job.counts
        out.print(
            f"job {job.job_id} {job.state}: added {counts.get('added', 0)}, updated {counts.get('updated', 0)}, "
            f"unchanged {counts.get('unchanged', 0)}, chunks {job.chunks}"
            + (f", [red]failed {len(failed) + len(unreadable)}[/]" if failed or unreadable else "")
        )
    if failed or unreadable or job.state == "failed":
        raise typer.Exit(1)


def _follow_job(http: Any, url: str, every_s: float) -> Any:
    """Poll the job's counts until it ends, then read it whole. A restart (no connection, a 5xx) and
    a rate limit are ridden out; a refusal (404: the job is gone; 401/403: the key) ends it."""
    import httpx

    from qa.remote import message
    from qa.schemas import IngestJobOut

    last_line, wait = 0.0, 0.5
    while True:
        try:
            r = http.get(url, params={"articles": "false"})
            if r.status_code in (408, 425, 429, 503):  # busy or timed out on the way: come back
                wait = _retry_after(r.headers.get("retry-after"), 2 * wait)
            elif r.status_code == 404:
                raise NotFound(
                    f"the server no longer has job {url.rsplit('/', 1)[-1]} (pruned, or its job store was "
                    "reset); what it stored is stored: `qa ingest --server` again sends the rest"
                )
            elif 400 <= r.status_code < 500:
                where = f"{str(http.base_url).rstrip('/')}{url}"
                raise InvalidInput(
                    f"the server refused to show the job ({r.status_code}): {message(r)}; the job goes on: {where}"
                )
            else:
                job = IngestJobOut.model_validate(r.raise_for_status().json())
                wait = 0.5
                if job.state in ("done", "failed", "cancelled"):
                    return _read_whole_job(http, url)
                if time.monotonic() - last_line >= every_s:
                    rate = f", {job.chunks_per_s} chunks/s" if job.chunks_per_s else ""
                    err.print(f"{job.state}: {job.done}/{job.total} articles{rate}")
                    last_line = time.monotonic()
        except httpx.HTTPError as exc:  # a restart of the server: the job resumes there, so keep following
            wait = min(30.0, 2 * wait)
            err.print(f"[yellow]cannot read the job ({exc}); trying again in {wait:.0f} s[/]", highlight=False)
        time.sleep(min(wait, 30.0))


def _retry_after(value: str | None, otherwise: float) -> float:
    """Seconds from a Retry-After header, which may also be an HTTP date; ``otherwise`` without one."""
    if not value:
        return otherwise
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return otherwise


def _read_whole_job(http: Any, url: str) -> Any:
    """The finished job with every article's outcome, page after page."""
    from qa.schemas import IngestJobOut

    job = IngestJobOut.model_validate(http.get(url, params={"limit": 10_000}).raise_for_status().json())
    while job.next_offset is not None:
        page = http.get(url, params={"offset": job.next_offset, "limit": 10_000}).raise_for_status().json()
        job.articles += IngestJobOut.model_validate(page).articles
        job.next_offset = page["next_offset"]
    return job
