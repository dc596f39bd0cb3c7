"""Prompt templates loaded from ``prompts/`` files, each versioned by a hash of its content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from qa.errors import QAError

TASKS = ("ask", "summarize", "briefing")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Prompt:
    task: str
    system: str
    user: Template
    version: str

    def render(self, **values: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user.substitute(values)},
        ]


def load_prompt(prompts_dir: Path, task: str) -> Prompt:
    system, user = prompts_dir / f"{task}.system.md", prompts_dir / f"{task}.user.md"
    missing = [p.name for p in (system, user) if not p.is_file()]
    if missing:
        raise QAError(f"prompt files missing in {prompts_dir}: {', '.join(missing)}")
    digest = hashlib.sha256(system.read_bytes() + b"\0" + user.read_bytes()).hexdigest()[:12]
    return Prompt(
        task=task,
        system=system.read_text(encoding="utf-8").strip(),
        user=Template(user.read_text(encoding="utf-8").strip()),
        version=f"{task}-{digest}",
    )


def prompt_hashes(prompts_dir: Path) -> dict[str, str]:
    """Content hash of every prompt file: what an eval baseline records."""
    return {p.name: file_hash(p) for p in sorted(prompts_dir.glob("*.md")) if p.name != "README.md"}
