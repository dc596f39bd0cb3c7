"""``qa doctor``: is the store sound? Its size, its embedder and how well its index finds itself."""

from __future__ import annotations

import typer

from qa.cli.app import JsonOpt, app, open_services, out, print_json


@app.command()
def doctor(as_json: JsonOpt = False) -> None:
    """Check the store: articles, chunks, what made its vectors, and self-retrieval (the share of
    sampled chunks its vector index still finds by their own vectors). Exits 1 below 0.9."""
    from qa.store.health import HEALTHY

    services = open_services()
    status = services.status()
    figure = services.self_retrieval()
    report = {
        "store": status.store,
        "articles": status.articles,
        "chunks": status.chunks,
        "embedder": status.embedder,
        "replaced_chunks": status.replaced_chunks,
        "self_retrieval": round(figure.share, 3),
        "sampled": figure.sampled,
        "healthy": figure.healthy,
    }
    if as_json:
        print_json(report)
    else:
        out.print(f"store        {report['store']}: {report['articles']:,} articles, {report['chunks']:,} chunks")
        out.print(f"embedder     {report['embedder'] or 'none recorded (empty store)'}")
        if (n := status.replaced_chunks) is not None:
            settings = services.settings
            who = (
                f"`qa serve` rebuilds it at {settings.compact_min_replaced:,} and as many as the live ones"
                if settings.embedded() and settings.compact_min_replaced > 0
                else "`qa reindex --rebuild` gives it back"
            )
            out.print(
                f"replaced     {n:,} chunk{'' if n == 1 else 's'} since the vector index was made; it keeps their "
                f"room until a rebuild ({who})"
            )
        out.print(
            f"self-search  {figure.found} of {figure.sampled} sampled chunks found by their own vectors "
            f"among their {figure.nearest} nearest ({figure.share:.0%})"
        )
        if not figure.healthy:
            out.print(
                f"[red]The vector index is degraded (under {HEALTHY:.0%}).[/] Look for floods of near-copies "
                "(`qa articles list`), delete them, then rebuild the index with `qa reindex --rebuild`."
            )
    if not figure.healthy:
        raise typer.Exit(1)
