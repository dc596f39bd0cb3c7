"""The import rules of ARCHITECTURE.md, checked on the source (every import, lazy ones included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"

LAYERS: list[tuple[int, tuple[str, ...]]] = [
    (4, ("qa.api", "qa.cli", "qa.remote", "qa.evals")),
    (3, ("qa.services", "qa.briefing", "qa.schemas")),
    (
        2,
        (
            "qa.answering",
            "qa.retrieval",
            "qa.lexical",
            "qa.lexical_disk",
            "qa.citations",
            "qa.embeddings",
            "qa.engines",
            "qa.ingest",
            "qa.store",
        ),
    ),
    (
        1,
        (
            "qa.models",
            "qa.errors",
            "qa.config",
            "qa.normalize",
            "qa.tokens",
            "qa.text",
            "qa.prose",
            "qa.logs",
            "qa.prompts",
            "qa.redact",
        ),
    ),
]
# Within core: what engines and the store may not reach.
FORBIDDEN = {
    "qa.engines": ("qa.store", "qa.ingest", "qa.retrieval", "qa.answering", "qa.lexical", "qa.lexical_disk"),
    "qa.store": ("qa.engines", "qa.retrieval", "qa.answering", "qa.lexical"),
}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _layer(module: str) -> int | None:
    return next((n for n, prefixes in LAYERS if any(_within(module, p) for p in prefixes)), None)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m == "qa" or m.startswith("qa.")}


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "testing" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_imports_point_down(path: Path) -> None:
    me = _name(path)
    mine = _layer(me)
    if mine is None:
        return  # the package root, or qa.testing
    problems = []
    for target in _imports(path):
        theirs = _layer(target)
        if theirs is not None and theirs > mine:
            problems.append(f"{me} (layer {mine}) imports {target} (layer {theirs})")
        problems += [
            f"{me} imports {target}: {prefix} may not reach {', '.join(banned)}"
            for prefix, banned in FORBIDDEN.items()
            if _within(me, prefix) and any(_within(target, b) for b in banned)
        ]
        if _within(target, "qa.testing"):
            problems.append(f"{me} imports {target}: test helpers are for tests")
    assert not problems, "\n".join(problems)


def test_every_module_has_a_layer() -> None:
    missing = [_name(p) for p in MODULES if _layer(_name(p)) is None and _name(p) != "qa"]
    assert not missing, f"add these to ARCHITECTURE.md and LAYERS: {missing}"
