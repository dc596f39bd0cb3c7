"""The deployment files users copy (Dockerfile, compose.yaml) hold no typo: every QA_* variable
they set is a real setting with a valid value, every `qa` command and option exists, and every
path they copy is in the repo. No container runtime here, so this is what can be checked."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from qa.cli import app
from qa.config import Settings

UsageError: type[Exception] = typer.BadParameter.__mro__[1]  # click's UsageError, as typer ships it

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
DOCKERFILE = (REPO / "Dockerfile").read_text()


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for block in re.findall(r"^ENV (.*?)(?<!\\)$", DOCKERFILE, re.M | re.S):
        for name, value in re.findall(r"(\w+)=(\S+)", block):
            env[name] = value
    return env


def dockerfile_commands() -> list[list[str]]:
    return [json.loads(c) for c in re.findall(r"^(?:CMD|HEALTHCHECK .*?CMD) (\[.*\])$", DOCKERFILE, re.M)]


def resolved(value: str) -> str:
    """A compose ``${VAR:?message}`` placeholder stands for a value the operator gives."""
    return re.sub(r"\$\{(\w+)(:?[-?][^}]*)?\}", "k1,k2", value)


def assert_settings(env: dict[str, Any], where: str) -> None:
    fields = {f"QA_{name.upper()}": name for name in Settings.model_fields}
    qa_vars = {k: resolved(str(v)) for k, v in env.items() if k.startswith("QA_")}
    unknown = sorted(set(qa_vars) - set(fields))
    assert not unknown, f"{where} sets {unknown}, which are not settings"
    Settings(**{fields[k]: v for k, v in qa_vars.items()})  # a bad value raises, naming it


def assert_command(argv: list[str], where: str) -> None:
    if argv[0] == "qa":
        group: Any = typer.main.get_command(app)  # typer's own click: a group of the subcommands
        with group.make_context("qa", argv[1:], resilient_parsing=True) as ctx:
            sub = group.get_command(ctx, argv[1])
            assert sub is not None, f"{where}: `qa {argv[1]}` is not a command"
            sub.make_context(argv[1], argv[2:], parent=ctx)  # an unknown option or bad value raises
    elif argv[0] == "chroma":
        assert argv[1] == "run"
        assert (Path(sys.executable).parent / "chroma").exists() or shutil.which("chroma")
    elif argv[0] == "python":
        compile(argv[-1], where, "exec")
    else:
        assert argv[0] in ("redis-server", "redis-cli", "CMD"), f"{where}: unexpected command {argv}"


def test_the_dockerfile_sets_real_settings_and_runs_real_commands() -> None:
    env = dockerfile_env()
    assert {"QA_DATA_DIR", "QA_PROMPTS_DIR", "QA_SEED_DIR"} <= set(env)
    assert_settings(env, "Dockerfile")
    commands = dockerfile_commands()
    assert commands and commands[-1][:2] == ["qa", "serve"]
    for argv in commands:
        assert_command(argv, "Dockerfile")
    for src in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M):
        for path in src.split():
            assert (REPO / path).exists(), f"Dockerfile copies {path}, which is not in the repo"


def test_compose_has_every_role_with_real_settings_and_commands() -> None:
    services = COMPOSE["services"]
    roles = {name: svc["command"][:2] for name, svc in services.items()}
    assert roles["chroma"] == ["chroma", "run"] and roles["redis"] == ["redis-server", "--appendonly"]
    apis = [n for n, r in roles.items() if r == ["qa", "serve"]]
    assert len(apis) >= 2 and roles["worker"] == ["qa", "worker"] and services["worker"]["deploy"]["replicas"] >= 2
    for name, svc in services.items():
        assert_command(svc["command"], f"compose.yaml service {name}")
        test = svc.get("healthcheck", {}).get("test")
        if test:
            assert_command(test[1:], f"compose.yaml service {name} healthcheck")
        if name in apis or name == "worker":
            env = svc["environment"]
            assert_settings(env, f"compose.yaml service {name}")
            # The shared state: one store, one queue, one rate-limit counter for every host.
            assert env["QA_CHROMA_URL"].startswith("http://chroma:")
            assert env["QA_QUEUE_URL"].startswith("redis://redis:")
            assert env["QA_RATE_LIMIT_STORAGE"].startswith("redis://redis:")
        if name in apis:
            assert "--no-worker" in svc["command"], "API hosts leave ingest to the workers"


@pytest.mark.parametrize("argv", [["qa", "serve", "--no-wroker"], ["qa", "wrker"]])
def test_the_checks_catch_a_typo(argv: list[str]) -> None:
    with pytest.raises((AssertionError, typer.BadParameter, UsageError)):
        assert_command(argv, "test")
    with pytest.raises(AssertionError, match="not settings"):
        assert_settings({"QA_QUEUE_ULR": "redis://x"}, "test")
