"""``qa serve``, ``qa worker``, ``qa workers`` and ``qa reindex``: the processes that keep the store."""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Annotated

import typer
from rich.table import Table

from qa import logs
from qa.cli.app import (
    JsonOpt,
    app,
    err,
    open_services,
    out,
    print_json,
)
from qa.config import get_settings


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
    services = open_services(writer=True)
    services.repair()  # chunks an interrupted ingest left behind, as `qa serve` does at start
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    services.start_jobs()
    where = "Redis (QA_QUEUE_URL)" if settings.queue_url else str(settings.data_dir)
    err.print(f"qa: ingest worker running jobs from {where}")
    stop.wait()
    err.print("qa: ingest worker stopping after the step in progress")
    services.stop_jobs()


@app.command("workers")
def workers_list(as_json: JsonOpt = False) -> None:
    """List the processes that run ingest jobs, with their last heartbeat."""
    found = open_services().ingest_workers()
    if as_json:
        from qa.schemas import IngestWorkerOut

        print_json([IngestWorkerOut.of(w).model_dump(mode="json") for w in found])
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
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Where the vectors come from the configured embedder already, copy them into a fresh index "
            "(no embedding): gives back the room of deleted and replaced chunks, and repairs a degraded index.",
        ),
    ] = False,
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
    report = reindex_store(settings, batch_size=batch or settings.embed_batch_size, progress=progress, rebuild=rebuild)
    if as_json:
        print_json(dataclasses.asdict(report))
    elif not report.switched:
        hint = "" if rebuild else " (--rebuild copies them into a fresh index)"
        out.print(
            f"nothing to re-embed: the store's vectors come from {report.identity}{hint}",
            highlight=False,
            soft_wrap=True,
        )
    elif report.copied and not report.embedded:
        out.print(
            f"rebuilt the vector index: {report.copied} chunks copied with their vectors in {report.seconds:.1f} s",
            highlight=False,
            soft_wrap=True,
        )
    else:
        resumed = f" ({report.resumed} done by an earlier run)" if report.resumed else ""
        out.print(
            f"re-embedded {report.embedded} chunks{resumed} with {report.identity} ({report.dim} dims) "
            f"in {report.seconds:.1f} s; the store now uses it (was {report.previous})",
            highlight=False,
            soft_wrap=True,  # one line, whatever the terminal's width: scripts read it
        )
