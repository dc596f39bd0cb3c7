"""The ``qa`` command. :mod:`qa.cli.app` holds the app, its shared options and the entry point;
each feature's commands live in a module named after it, imported here so they register."""

import importlib

from qa.cli.app import app, main

# Imported in the order `qa --help` lists their commands.
for _feature in ("ingest", "search", "articles", "briefing", "serve", "eval", "doctor"):
    importlib.import_module(f"qa.cli.{_feature}")

__all__ = ["app", "main"]
