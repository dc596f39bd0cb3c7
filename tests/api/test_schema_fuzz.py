"""schemathesis against the service's own OpenAPI schema: generated requests, valid and not,
to every operation. No 500s, and every response matches what the schema says (status, body,
content type), with keys required the way the schema declares them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

from qa.api.app import create_app
from qa.config import Settings
from tests.conftest import REPO

KEY = "fuzz-key-5b1e"


# Built at import, because schemathesis reads the schema at collection time (its lazy fixture
# loader relies on a pytest internal that pytest 9.2 removed). The store and the model are only
# opened when the lifespan starts, in the fixture below.
_DATA = Path(tempfile.mkdtemp(prefix="qa-fuzz-"))
app = create_app(Settings(data_dir=_DATA / "data", seed_dir=REPO / "seeds", api_keys=[KEY], auth_failure_limit=None))
schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers={"X-API-Key": KEY})


def _takes_text(param_schema: dict[str, Any]) -> bool:
    """Any text at all: a string (or list of strings) with no enum, format or pattern to break."""

    def free(o: dict[str, Any]) -> bool:
        return o.get("type") == "string" and not {"enum", "format", "pattern"} & set(o)

    if {"enum", "format", "pattern"} & set(param_schema):
        return False
    options = param_schema.get("anyOf", [param_schema])
    return any(free(o) or (o.get("type") == "array" and free(o.get("items", {}))) for o in options)


# Query parameters that accept any text. Everything in a query string is text, so schemathesis'
# "non-string" negative values for them (source=0.82) arrive as valid strings: a known upstream
# false positive (schemathesis issues #2312, #3962). Only that failure, on only these, is set aside.
TEXT_QUERY_PARAMS = {
    p["name"]
    for ops in app.openapi()["paths"].values()
    for op in ops.values()
    for p in op.get("parameters", [])
    if p["in"] == "query" and _takes_text(p["schema"])
}


def _query_text_false_positive(failure: Exception) -> bool:
    if not isinstance(failure, AcceptedNegativeData):
        return False
    text_param = any(f"parameter `{name}` in query" in failure.message for name in TEXT_QUERY_PARAMS)
    # A repeated single-valued query parameter: Starlette takes the last value, by design.
    repeated = "in query" in failure.message and "became array" in failure.message
    return text_param or repeated


@pytest.fixture(scope="module", autouse=True)
def running_app() -> Iterator[None]:
    with TestClient(app):  # the lifespan: store opened, seeds loaded
        yield
    shutil.rmtree(_DATA, ignore_errors=True)


@schema.parametrize()
# Derandomized: the same examples every run, so CI never fails on a draw no one can replay.
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@pytest.mark.timeout(300)
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    # All default checks but one: "positive data acceptance" expects every schema-valid body to be
    # accepted, but some rules are beyond JSON Schema: a date in any feed format must still parse,
    # since <= until. Those refusals are documented 422s, and the other checks still hold them to
    # the error shape.
    try:
        case.call_and_validate(
            headers={"X-API-Key": KEY},
            excluded_checks=[schemathesis.checks.positive_data_acceptance],
        )
    except FailureGroup as group:
        real = [f for f in group.exceptions if not _query_text_false_positive(f)]
        if real:
            raise FailureGroup(real) from None
