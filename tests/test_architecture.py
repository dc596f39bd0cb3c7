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
            "qa.embeddings_openai",
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
            "qa.plugins",
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


def _checked_imports(path: Path) -> set[str]:
    """Every module this one imports, ``TYPE_CHECKING`` ones included (a cycle of types is still
    two modules that must know each other), resolved to a module of the package where one is named."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in ALL_MODULES else node.module
                for a in node.names
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in ALL_MODULES}


ALL_MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def test_no_import_cycle() -> None:
    graph = {m: _checked_imports(p) - {m} for m, p in ALL_MODULES.items()}
    cycles = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" -> ".join([*path[path.index(module) :], module]))
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_briefing_uses_no_engine_internals() -> None:
    """The briefing drafts through the Engine protocol; news-prose rules are in qa.prose."""
    problems = [
        f"{_name(p)} imports {target}"
        for p in MODULES
        if _within(_name(p), "qa.briefing")
        for target in _imports(p)
        if _within(target, "qa.engines")
        and not any(_within(target, ok) for ok in ("qa.engines.base", "qa.engines.fallback"))
    ]
    assert not problems, "\n".join(problems)


# What Services is made of. Routes, commands and the eval runner call Services' operations; a part
# reached through it (services.store.repair(), services.answers.ask()) is wiring done twice.
SERVICE_PARTS = frozenset(
    {
        "store",
        "embedder",
        "reader_embedder",
        "retriever",
        "ingestor",
        "limits",
        "extractive",
        "configured_engine",
        "fallback_engine",
        "engine",
        "answers",
        "briefings",
        "ingest_jobs",
    }
)
INTERFACES = ("qa.api", "qa.cli", "qa.remote", "qa.evals")


def _is_services(node: ast.expr) -> bool:
    """An expression that is the Services object: a name for it, or a call that opens it."""
    if isinstance(node, ast.Name):
        return node.id in {"services", "svc"}
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id in {"open_services", "get_services"}) or (
            isinstance(func, ast.Attribute) and func.attr == "from_settings"
        )
    return isinstance(node, ast.Attribute) and node.attr == "services"  # app.state.services


@pytest.mark.parametrize("path", [p for p in MODULES if any(_within(_name(p), i) for i in INTERFACES)], ids=_name)
def test_interfaces_call_operations_not_the_parts_of_services(path: Path) -> None:
    problems = [
        f"{_name(path)}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in SERVICE_PARTS and _is_services(node.value)
    ]
    assert not problems, "add an operation to Services instead:\n" + "\n".join(problems)


def test_only_the_fallback_engine_falls_back() -> None:
    """Answers, summaries and briefing stories fall back in qa.engines.fallback alone: elsewhere no
    code words a fallback note or catches an engine's failure to hand the work to another engine."""
    home = "qa.engines.fallback"
    problems = []
    for p in MODULES:
        if _name(p) == home:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and node.id in {"fallback_note", "FallbackEngine"}:
                problems.append(f"{_name(p)}:{node.lineno}: {node.id}")
            if (
                isinstance(node, ast.ExceptHandler)
                and node.type is not None
                and "EngineError" in ast.unparse(node.type)
            ):
                calls = {
                    c.func.attr for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                }
                if calls & {"answer", "summarize", "briefing", "stream_answer"}:
                    problems.append(f"{_name(p)}:{node.lineno}: an engine called again after EngineError")
    assert not problems, f"fall back through {home}:\n" + "\n".join(problems)
