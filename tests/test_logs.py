"""Log lines: JSON for a collector, text for a person at a terminal."""

from __future__ import annotations

import io
import logging

import pytest

from qa import logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("fmt", "stream", "formatter"),
    [
        ("auto", io.StringIO(), logs.JsonFormatter),
        ("auto", Terminal(), logs.TextFormatter),
        ("json", Terminal(), logs.JsonFormatter),
        ("text", io.StringIO(), logs.TextFormatter),
    ],
)
def test_auto_picks_text_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, fmt: str, stream: io.StringIO, formatter: type
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr("sys.stderr", stream)
    try:
        logs.configure(fmt)
        assert isinstance(root.handlers[0].formatter, formatter)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
