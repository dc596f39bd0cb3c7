"""``qa search``, ``qa ask`` and ``qa summarize``: read the store here, or through a running server."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import BaseModel

from qa.cli.app import (
    ApiKeyOpt,
    JsonOpt,
    ServerOpt,
    SinceOpt,
    SourceOpt,
    UntilOpt,
    app,
    connect_server,
    day_option,
    err,
    open_services,
    out,
    print_json,
    search_filters_option,
    text_argument,
)


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
    query = text_argument(" ".join(words), "QUERY")
    if server:  # the server checks the filters; nothing heavy is imported here
        with connect_server(server, api_key) as remote:
            data = remote.get_json("/search", q=query, k=k, source=source or None, since=since, until=until)
    else:
        from qa.schemas import SearchHitOut, SearchResult

        hits = open_services().search(query, k=k, filters=search_filters_option(source, since, until))
        data = SearchResult(query=query, hits=[SearchHitOut.of(h) for h in hits]).model_dump(mode="json")
    if as_json:
        print_json(data)
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
    question = text_argument(" ".join(words), "QUESTION")
    asked_on = day_option(as_of, "--as-of")
    if server:  # the server checks the filters; nothing heavy is imported here
        body: dict[str, Any] = {"question": question, "k": k, "min_confidence": min_confidence, "as_of": as_of}
        wanted = {"source": source or None, "since": since, "until": until}
        if any(v is not None for v in wanted.values()):
            body["filters"] = {f: v for f, v in wanted.items() if v is not None}
        with connect_server(server, api_key) as remote:
            data = remote.post_json("/ask", {f: v for f, v in body.items() if v is not None})
    else:
        from qa.schemas import AnswerOut

        answer = open_services().ask(
            question,
            k=k,
            filters=search_filters_option(source, since, until),
            min_confidence=min_confidence,
            as_of=asked_on,
        )
        data = AnswerOut.of(answer).model_dump(mode="json")
    if as_json:
        print_json(data)
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
    query = None if query is None else text_argument(query, "--query")
    services = open_services()
    if article is not None:
        result = services.summarize_article(article)
    else:
        result = services.summarize(query or "", filters=search_filters_option(source, since, until))
    summary = SummaryOut.of(result)
    if as_json:
        print_json(summary)
    else:
        _print_answer(summary, "summary")
