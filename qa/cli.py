"""The ``qa`` command: a thin layer over :mod:`qa.services`, printing with rich or as JSON."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa import logs
from qa.config import get_settings
from qa.errors import ArticleError, InvalidInput, QAError
from qa.models import Article, IngestReport, SearchFilters, parse_day

# Plain click help: typer's rich panels print flags as "--help <bool>".
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Cited answers, summaries and briefings over news articles.",
)
articles_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="List, show or delete stored articles.")
app.add_typer(articles_app, name="articles")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one error, one line: never wrapped at 80 columns

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (the API's shapes).")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="Only this outlet (repeatable).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Published on or after YYYY-MM-DD.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Published on or before YYYY-MM-DD.")]


def _services(writer: bool = False) -> Any:
    """The service layer; a ``writer`` first becomes the embedded data dir's one writing process."""
    from qa.services import Services  # heavy imports only for commands that need the store

    services = Services.from_settings(get_settings())
    if writer:
        services.claim_writer()
    return services


ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server", envvar="QA_SERVER", help="Ask a running qa server (its URL) instead of opening the store here."
    ),
]
ApiKeyOpt = Annotated[
    str | None, typer.Option(envvar="QA_SERVER_API_KEY", help="With --server: its API key, if it needs one.")
]


def _remote(server: str, api_key: str | None) -> Any:
    from qa.remote import Remote

    return Remote(server, api_key)


def _date(value: str | None, flag: str) -> date | None:
    """A day option, read by the API's rule (:func:`qa.models.parse_day`)."""
    try:
        return parse_day(value) if value is not None else None
    except InvalidInput as exc:
        raise typer.BadParameter(exc.reason, param_hint=flag) from None


def _text(value: str, hint: str) -> str:
    """A question or query, stripped; empty is an error, as the API's 422."""
    if not value.strip():
        raise typer.BadParameter("it is empty", param_hint=hint)
    return value.strip()


def _filters(source: list[str] | None, since: str | None, until: str | None) -> SearchFilters:
    from qa.services import search_filters

    try:
        return search_filters(source, since, until)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.reason, param_hint=f"--{exc.field}" if exc.field else None) from None


def _print_json(obj: BaseModel | dict[str, Any] | list[Any]) -> None:
    if isinstance(obj, BaseModel):
        sys.stdout.write(obj.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


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

    read = list(read_paths(paths, max_chars=get_settings().max_article_chars))
    # What could not be read is reported as such; progress counts only articles being stored.
    items = [i for i in read if not isinstance(i, ArticleError)]
    unreadable = [str(i) for i in read if isinstance(i, ArticleError)]
    if server:
        _ingest_remote(server, api_key, items, unreadable, as_json, progress_every)
        return
    services = _services(writer=True)
    repaired = services.store.repair()
    if not items:
        report = IngestReport()
    elif as_json or not sys.stderr.isatty():
        # No live bar without a terminal: a line at most every few seconds, so a long job shows life.
        report = services.ingestor.ingest(items, progress=_progress_lines(len(items), progress_every))
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

            report = services.ingestor.ingest(items, progress=done, embedded=lambda n: bar.advance(embedding, n))
    report.errors = unreadable + report.errors
    result = IngestResult.of(report)
    if as_json:
        _print_json(result)
    else:
        if repaired:
            err.print(f"[yellow]repaired: removed {repaired} chunks left by an interrupted ingest[/]")
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
    server: str, api_key: str | None, items: list[Article], unreadable: list[str], as_json: bool, every_s: float
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
            for e in unreadable:
                err.print(f"[red]error[/] {e}", highlight=False)
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
        _print_json(job)
    else:
        named = [
            why if why.startswith("articles[") else f"articles[{a.index}] ({a.id}): {why}"
            for a in failed
            if (why := a.reason or "")
        ]
        for e in unreadable + named:
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
    """Poll the job's counts until it ends (riding out errors and rate limits), then read it whole."""
    import httpx

    from qa.schemas import IngestJobOut

    last_line, wait = 0.0, 0.5
    while True:
        try:
            r = http.get(url, params={"articles": "false"})
            if r.status_code in (429, 503):  # busy: come back when told
                wait = float(r.headers.get("retry-after") or 2 * wait)
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


def _read_whole_job(http: Any, url: str) -> Any:
    """The finished job with every article's outcome, page after page."""
    from qa.schemas import IngestJobOut

    job = IngestJobOut.model_validate(http.get(url, params={"limit": 10_000}).raise_for_status().json())
    while job.next_offset is not None:
        page = http.get(url, params={"offset": job.next_offset, "limit": 10_000}).raise_for_status().json()
        job.articles += IngestJobOut.model_validate(page).articles
        job.next_offset = page["next_offset"]
    return job


@app.command()
def search(
    words: Annotated[list[str], typer.Argument(help="What to look for (quotes optional).", metavar="QUERY")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many chunks.")] = 5,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """The passages that best match QUERY (hybrid dense + BM25 retrieval)."""
    query = _text(" ".join(words), "QUERY")
    if server:  # the server checks the filters; nothing heavy is imported here
        with _remote(server, api_key) as remote:
            data = remote.get_json("/search", q=query, k=k, source=source or None, since=since, until=until)
    else:
        from qa.schemas import SearchHitOut, SearchResult

        hits = _services().retriever.search(query, k=k, filters=_filters(source, since, until))
        data = SearchResult(query=query, hits=[SearchHitOut.of(h) for h in hits]).model_dump(mode="json")
    if as_json:
        _print_json(data)
        return
    if not data["hits"]:
        out.print("no matching passages")
        return
    for i, h in enumerate(data["hits"], start=1):
        day = str(h["published"])[:10] if h["published"] else "undated"
        source_name = h["source"] or "unknown outlet"
        out.print(f"[bold]{i}. {h['title']}[/] — {source_name}, {day}  (score {h['score']:.4f})", highlight=False)
        snippet = " ".join(h["text"].split())
        out.print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}", highlight=False)


@articles_app.command("list")
def articles_list(
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Stored articles, newest first."""
    from qa.schemas import ArticleList, ArticleOut

    filters = _filters(source, since, until)
    page, total = _services().list_articles(filters, limit, offset)
    result = ArticleList(articles=[ArticleOut.of(m) for m in page], total=total, limit=limit, offset=offset)
    if as_json:
        _print_json(result)
        return
    table = Table("id", "published", "source", "title")
    for a in result.articles:
        table.add_row(a.id, a.published.isoformat()[:10] if a.published else "", a.source or "", a.title)
    out.print(table)
    out.print(f"{len(page)} of {result.total}")


@articles_app.command("show")
def articles_show(article_id: str, as_json: JsonOpt = False) -> None:
    """One article with its text."""
    from qa.schemas import ArticleDetail

    detail = ArticleDetail.of_article(_services().get_article(article_id))
    if as_json:
        _print_json(detail)
        return
    out.print(f"[bold]{detail.title}[/]")
    meta = [
        detail.source or "unknown outlet",
        str(detail.published or "undated"),
        ", ".join(detail.authors),
    ]
    out.print(" · ".join(m for m in meta if m), style="dim")
    if detail.url:
        out.print(detail.url, style="dim")
    out.print()
    out.print(detail.text, highlight=False)


@articles_app.command("delete")
def articles_delete(article_id: str, as_json: JsonOpt = False) -> None:
    """Remove an article and its chunks from the store."""
    _services(writer=True).delete_article(article_id)
    if as_json:
        _print_json({"deleted": article_id})
    else:
        out.print(f"deleted {article_id}")


def _print_answer(result: BaseModel | dict[str, Any], text_key: str) -> None:
    data = result.model_dump() if isinstance(result, BaseModel) else result
    style = "yellow" if data["abstained"] else None
    out.print(data[text_key], style=style, highlight=False)
    if data.get("confidence") is not None:
        out.print(f"confidence {data['confidence']:.2f}", style="dim", highlight=False)
    if data.get("related"):
        out.print()
        out.print("[bold]Related passages[/] (not an answer; read on)")
    for r in data.get("related") or []:
        day = str(r["published"])[:10] if r["published"] else "undated"
        out.print(f"- {r['title']} — {r['source'] or 'unknown outlet'}, {day}", highlight=False)
        out.print(f"    {r['passage']}", style="dim", highlight=False)
    if data["citations"]:
        out.print()
        out.print("[bold]Sources[/]")
    for c in data["citations"]:
        day = str(c["published"])[:10] if c["published"] else "undated"
        out.print(f"[{c['n']}] {c['title']} — {c['source'] or 'unknown outlet'}, {day}", highlight=False)
        out.print(f'    "{c["quote"]}"', style="dim", highlight=False)
        if c["url"]:
            out.print(f"    {c['url']}", style="dim", highlight=False)
    for note in data.get("notes") or []:
        err.print(f"[yellow]note:[/] {note}", highlight=False)


@app.command()
def ask(
    words: Annotated[
        list[str], typer.Argument(help="A question about the news (quotes optional).", metavar="QUESTION")
    ],
    k: Annotated[int | None, typer.Option("--k", min=1, max=20, help="Passages to retrieve.")] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_confidence: Annotated[
        float | None,
        typer.Option("--min-confidence", min=0.0, max=1.0, help="Abstain below this confidence (0-1)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Asked from this day (YYYY-MM-DD): prefer articles just before it.")
    ] = None,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Answer QUESTION from the stored articles, citing the sentences it relies on."""
    question = _text(" ".join(words), "QUESTION")
    asked_on = _date(as_of, "--as-of")
    if server:  # the server checks the filters; nothing heavy is imported here
        body: dict[str, Any] = {"question": question, "k": k, "min_confidence": min_confidence, "as_of": as_of}
        wanted = {"source": source or None, "since": since, "until": until}
        if any(v is not None for v in wanted.values()):
            body["filters"] = {f: v for f, v in wanted.items() if v is not None}
        with _remote(server, api_key) as remote:
            data = remote.post_json("/ask", {f: v for f, v in body.items() if v is not None})
    else:
        from qa.schemas import AnswerOut

        answer = _services().answers.ask(
            question, k=k, filters=_filters(source, since, until), min_confidence=min_confidence, as_of=asked_on
        )
        data = AnswerOut.of(answer).model_dump(mode="json")
    if as_json:
        _print_json(data)
    else:
        _print_answer(data, "answer")


@app.command()
def summarize(
    article: Annotated[str | None, typer.Option("--article", help="Summarize this article id.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Or summarize what this retrieves.")] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A few cited sentences about one article (--article) or a topic (--query)."""
    from qa.schemas import SummaryOut

    if (article is None) == (query is None):
        raise typer.BadParameter("give exactly one of --article or --query")
    query = None if query is None else _text(query, "--query")
    services = _services()
    if article is not None:
        result = services.answers.summarize_article(article)
    else:
        result = services.answers.summarize_query(query or "", filters=_filters(source, since, until))
    summary = SummaryOut.of(result)
    if as_json:
        _print_json(summary)
    else:
        _print_answer(summary, "summary")


@app.command()
def briefing(
    day: Annotated[str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: the latest).")] = None,
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
    when = _date(day, "--date")
    if server:
        params = {"date": day, "source": source or None, "max_sections": max_sections, "format": fmt}
        with _remote(server, api_key) as remote:
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
    result = _services().briefings.build(when, source or None, max_sections)
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    no_seed: Annotated[bool, typer.Option("--no-seed", help="Do not load seeds/ into an empty store.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (needs QA_CHROMA_URL).")] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no ingest jobs here; `qa worker` processes run them.")
    ] = False,
) -> None:
    """Run the HTTP API (docs at /docs). On first start, an empty store gets the seed articles."""
    import os

    import uvicorn

    if no_seed:
        os.environ["QA_SEED_ON_START"] = "false"
    if no_worker:
        os.environ["QA_INGEST_WORKER"] = "false"
    get_settings.cache_clear()  # the app (in this process or uvicorn's workers) reads the flags above
    settings = get_settings()
    if workers > 1 and settings.embedded():
        raise typer.BadParameter(
            "several workers need a shared Chroma server (set QA_CHROMA_URL); "
            "the embedded store belongs to one process",
            param_hint="--workers",
        )
    settings.check_data_dir()  # before saying we serve: a read-only folder is a start-up error
    from qa.services import check_before_serving

    check_before_serving(settings)  # an unknown engine, another embedder's vectors: one line here
    if settings.embedded():  # another writer on this data dir: one line here, not a traceback later
        from qa.store.writer_lock import claim_writer

        claim_writer(settings.data_dir)
    err.print(f"qa: serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    logs.configure(settings.log_format, settings.log_level)
    from qa.api.server import GuardedH11Protocol

    # Our access log (with request id, client and stage timings) replaces uvicorn's.
    uvicorn.run(
        "qa.api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        http=GuardedH11Protocol,
        timeout_keep_alive=max(1, round(settings.idle_timeout_s)),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        # Forwarded headers count only from the proxies named; uvicorn would trust 127.0.0.1's.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


@app.command()
def worker() -> None:
    """Run ingest jobs until stopped (SIGTERM or Ctrl-C finish the step in progress first).

    With QA_QUEUE_URL, jobs come from the shared Redis and workers run on any host; without it,
    from this host's data dir. Start as many as the store and the cores can take.
    """
    import signal
    import threading

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    services = _services(writer=True)
    services.store.repair()  # chunks an interrupted ingest left behind, as `qa serve` does at start
    queue = services.ingest_jobs
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    queue.start()
    where = "Redis (QA_QUEUE_URL)" if settings.queue_url else str(settings.data_dir)
    err.print(f"qa: ingest worker running jobs from {where}")
    stop.wait()
    err.print("qa: ingest worker stopping after the step in progress")
    queue.stop()


@app.command("workers")
def workers_list(as_json: JsonOpt = False) -> None:
    """List the processes that run ingest jobs, with their last heartbeat."""
    found = _services().ingest_workers()
    if as_json:
        from qa.schemas import IngestWorkerOut

        _print_json([IngestWorkerOut.of(w).model_dump(mode="json") for w in found])
        return
    if not found:
        err.print("no ingest worker has been heard from")
        return
    table = Table("worker", "alive", "last seen", "steps", box=None)
    for w in found:
        table.add_row(w.name, "yes" if w.alive else "no", f"{time.time() - w.last_seen:.0f} s ago", str(w.steps))
    out.print(table)


@app.command()
def reindex(
    batch: Annotated[
        int | None,
        typer.Option(min=1, max=10_000, help="Chunks embedded and written per step (default: QA_EMBED_BATCH_SIZE)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-embed every stored chunk with the configured embedder (QA_EMBEDDER), then switch to them.

    Reads are served from the old vectors until the switch; an interrupted run resumes where it stopped.
    """
    from qa.services import reindex_store

    settings = get_settings()
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 1.0 or done == total:  # a line a second at most, and the last one
            last = now
            print(f"reindex: {done}/{total} chunks", file=sys.stderr, flush=True)

    # One embedder request a step by default: progress shows at the endpoint's pace, and a stopped
    # run loses at most one request's work.
    report = reindex_store(settings, batch_size=batch or settings.embed_batch_size, progress=progress)
    if as_json:
        _print_json(dataclasses.asdict(report))
    elif not report.switched:
        out.print(
            f"nothing to re-embed: the store's vectors come from {report.identity}", highlight=False, soft_wrap=True
        )
    else:
        resumed = f" ({report.resumed} done by an earlier run)" if report.resumed else ""
        out.print(
            f"re-embedded {report.embedded} chunks{resumed} with {report.identity} ({report.dim} dims) "
            f"in {report.seconds:.1f} s; the store now uses it (was {report.previous})",
            highlight=False,
            soft_wrap=True,  # one line, whatever the terminal's width: scripts read it
        )


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
            _print_json(figures)
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
        _print_json(run.to_json())
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


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit, not a traceback."""
    try:
        app()  # click handles usage errors itself (exit 2 with a usage line)
    except QAError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except ValidationError as exc:  # most often a QA_* setting with a bad value
        for e in exc.errors():
            where = "_".join(str(p) for p in e["loc"])
            name = (f"setting QA_{where.upper()}" if where else "settings") if exc.title == "Settings" else where
            msg = e["msg"].removeprefix("Value error, ")
            err.print(f"[red]error:[/] {name}: {msg}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
