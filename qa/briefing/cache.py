"""Built briefings, kept in memory and in a SQLite file in the data dir, so the CLI and every
worker of ``qa serve`` on the host share them and a restart keeps them.

An entry is valid while the store's revision is unchanged or, after a write, while the
fingerprint of that day's articles (ids, versions and metadata) is the same: a write to another
day does not invalidate it. The fingerprint check is the caller's; this module only keeps entries.
Keys carry :data:`CODE_VERSION`, a hash of the qa package's source and weights, so a changed builder
never serves what an older one built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache

from qa.store import revision_mark

if TYPE_CHECKING:
    from qa.schemas import Briefing

log = logging.getLogger(__name__)


def _code_version() -> str:
    # The whole package, not only this folder: a briefing is also made by the sentence splitter,
    # the extractive engine and its weights, which an upgrade may change.
    package = Path(__file__).parents[1]
    h = hashlib.sha1()
    for f in sorted(package.rglob("*")):
        if f.suffix in (".py", ".json") and "__pycache__" not in f.parts:
            h.update(f.relative_to(package).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


CODE_VERSION = _code_version()


def cache_key(
    day: str,
    wanted: tuple[str, ...] | None,
    max_sections: int,
    engine: str,
) -> str:
    """The entry's key: the code, the day, the filters and what the engine writes with (its
    ``identity``: an LLM's model and prompt versions, not only its name)."""
    parts: list[Any] = [CODE_VERSION, day, wanted, max_sections, engine]
    return json.dumps(parts, sort_keys=True, default=str)


def cached_json(data_dir: Path, key: str) -> str | None:
    """The briefing stored under ``key`` as JSON, if it was built at the revision the embedded
    store's mark names: the CLI's way to a cached day without opening the store. None means "build
    it the usual way", which also covers every case this cannot decide."""
    current = revision_mark.read(revision_mark.path_for(data_dir))
    path = data_dir / "briefings.sqlite"
    if current is None or not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            row = db.execute("SELECT revision, briefing FROM briefings WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return str(row[1]) if row is not None and row[0] == current else None


@dataclass
class Entry:
    revision: str
    fingerprint: str
    briefing: Briefing


class BriefingCache:
    """An LRU in memory in front of an optional shared SQLite file (WAL, so readers never wait)."""

    def __init__(self, path: Path | None = None, size: int = 128) -> None:
        self.path = path
        self._memory: LRUCache[str, Entry] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        if path is not None:
            try:
                with closing(self._connect()) as db, db:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS briefings (key TEXT PRIMARY KEY, revision TEXT NOT NULL, "
                        "fingerprint TEXT NOT NULL, briefing TEXT NOT NULL)"
                    )
            except sqlite3.Error as exc:  # a cache must never stop a briefing
                log.warning("briefing cache %s unusable (%s); caching in memory only", path, exc)
                self.path = None

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        return sqlite3.connect(self.path, timeout=5)

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._memory.get(key)
        if entry is not None or self.path is None:
            return entry
        try:
            with closing(self._connect()) as db:
                sql = "SELECT revision, fingerprint, briefing FROM briefings WHERE key = ?"
                row = db.execute(sql, (key,)).fetchone()
        except sqlite3.Error as exc:
            log.warning("briefing cache read failed: %s", exc)
            return None
        if row is None:
            return None
        from qa.schemas import Briefing  # heavy; cached_json serves without it

        entry = Entry(row[0], row[1], Briefing.model_validate_json(row[2]))
        with self._lock:
            self._memory[key] = entry
        return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._memory[key] = entry
        self._write(
            "INSERT OR REPLACE INTO briefings (key, revision, fingerprint, briefing) VALUES (?, ?, ?, ?)",
            (key, entry.revision, entry.fingerprint, entry.briefing.model_dump_json()),
        )

    def confirm(self, key: str, entry: Entry, revision: str) -> None:
        """The entry is still valid at ``revision`` (its day's articles did not change)."""
        entry.revision = revision
        self._write("UPDATE briefings SET revision = ? WHERE key = ?", (revision, key))

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
        self._write("DELETE FROM briefings", ())

    def _write(self, sql: str, args: tuple[str, ...]) -> None:
        if self.path is None:
            return
        try:
            with closing(self._connect()) as db, db:
                db.execute(sql, args)
        except sqlite3.Error as exc:
            log.warning("briefing cache write failed: %s", exc)
