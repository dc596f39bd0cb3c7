"""Reads that race another process's delete on a Chroma server are retried, and only those."""

from __future__ import annotations

import chromadb.errors
import pytest

from qa.store.chroma import _read


def test_a_read_that_lost_a_race_with_a_delete_is_retried() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise chromadb.errors.InternalError("Error executing plan: Internal error: Error finding id")
        return "rows"

    assert _read(flaky) == "rows" and len(calls) == 3


def test_other_errors_and_a_lasting_race_still_raise() -> None:
    def broken() -> None:
        raise chromadb.errors.InternalError("Database error: disk full")

    with pytest.raises(chromadb.errors.InternalError, match="disk full"):
        _read(broken)

    calls: list[int] = []

    def always() -> None:
        calls.append(1)
        raise chromadb.errors.InternalError("Error finding id")

    with pytest.raises(chromadb.errors.InternalError):
        _read(always, attempts=2)
    assert len(calls) == 2
