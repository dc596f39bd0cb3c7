"""The embedded store's revision, mirrored in a small file beside it.

A process that only wants to know whether a cached result is still current (``qa briefing`` for a
day already built) can compare revisions from this file without importing chromadb or opening the
store, which costs about a second on every CLI call. The file is removed before each write and
rewritten, under the store's write lock, with the revision Chroma holds after it. So a crash
mid-write leaves no file, never a stale one, and a missing file only means "ask the store". Only
the embedded store keeps one: a Chroma server has writers on other hosts.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "revision"


def path_for(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read(path: Path) -> str | None:
    """The revision the last finished write left, or None where unknown."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def clear(path: Path) -> bool:
    """Remove the mark before a write; False if it could not be removed (then it must not be trusted
    or rewritten by this writer)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def write(path: Path, revision: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(revision, encoding="ascii")
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError:
        tmp.unlink(missing_ok=True)
