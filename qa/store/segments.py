"""Disk space the embedded Chroma leaves behind: vector-index folders of dropped collections.

Chroma 1.x removes a dropped collection's records but not its HNSW folder (chroma-core/chroma
#5259, #5520: the clean-up is left to a garbage collector that the embedded client does not run).
Every `qa reindex` drops a collection, so each run would leave the old index on disk for good.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import uuid
from pathlib import Path

log = logging.getLogger(__name__)


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def remove_orphan_segments(persist_dir: Path) -> int:
    """Delete the segment folders under ``persist_dir`` that no segment record names; how many.

    The folders are listed before the records are read: a segment's record is written before its
    folder, so a collection made meanwhile by another process is never taken for an orphan."""
    folders = [p for p in persist_dir.iterdir() if p.is_dir() and _is_uuid(p.name)]
    if not folders:
        return 0
    db = sqlite3.connect(f"{(persist_dir / 'chroma.sqlite3').as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        known = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    finally:
        db.close()
    orphans = [p for p in folders if p.name not in known]
    for p in orphans:
        shutil.rmtree(p, ignore_errors=True)
    if orphans:
        log.info("removed %d vector-index folders of dropped collections", len(orphans))
    return len(orphans)
