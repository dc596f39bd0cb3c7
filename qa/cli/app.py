"""The ``qa`` command's app, its shared options and helpers, and the entry point: a thin layer
over :mod:`qa.services`, printing with rich or as JSON. The commands live beside it, one module a
feature (:mod:`qa.cli.ingest`, :mod:`qa.cli.search`, :mod:`qa.cli.briefing`, …)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from qa.config import get_settings
from qa.errors import InvalidInput, QAError
from qa.models import SearchFilters, parse_day

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


def open_services(writer: bool = False) -> Any:
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


def connect_server(server: str, api_key: str | None) -> Any:
    from qa.remote import Remote

    return Remote(server, api_key)


def day_option(value: str | None, flag: str) -> date | None:
    """A day option, read by the API's rule (:func:`qa.models.parse_day`)."""
    try:
        return parse_day(value) if value is not None else None
    except InvalidInput as exc:
        raise typer.BadParameter(exc.reason, param_hint=flag) from None


def text_argument(value: str, hint: str) -> str:
    """A question or query, stripped; empty is an error, as the API's 422."""
    if not value.strip():
        raise typer.BadParameter("it is empty", param_hint=hint)
    return value.strip()


def search_filters_option(source: list[str] | None, since: str | None, until: str | None) -> SearchFilters:
    from qa.services import search_filters

    try:
        return search_filters(source, since, until)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.reason, param_hint=f"--{exc.field}" if exc.field else None) from None


def print_json(obj: BaseModel | dict[str, Any] | list[Any]) -> None:
    if isinstance(obj, BaseModel):
        sys.stdout.write(obj.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


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
