"""``qa articles list|show|delete``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from qa.cli.app import (
    JsonOpt,
    SinceOpt,
    SourceOpt,
    UntilOpt,
    articles_app,
    open_services,
    out,
    print_json,
    search_filters_option,
)


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

    filters = search_filters_option(source, since, until)
    page, total = open_services().list_articles(filters, limit, offset)
    result = ArticleList(articles=[ArticleOut.of(m) for m in page], total=total, limit=limit, offset=offset)
    if as_json:
        print_json(result)
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

    detail = ArticleDetail.of_article(open_services().get_article(article_id))
    if as_json:
        print_json(detail)
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
    open_services(writer=True).delete_article(article_id)
    if as_json:
        print_json({"deleted": article_id})
    else:
        out.print(f"deleted {article_id}")
