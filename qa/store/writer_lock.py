"""One writing process per embedded store.

Embedded Chroma keeps its index in the memory of the process that opened it: a second process
writing to the same data dir leaves the first one's view stale (a server answered from before a
`qa ingest` run beside it until restarted). So a process that writes (``qa serve``, ``qa ingest``,
``qa worker``, ``qa reindex``, ``qa articles delete``) first takes an exclusive lock on
``QA_DATA_DIR/writer.lock``, held until it exits; a second writer is refused with a message that
names the holder and the fix. The lock is the kernel's (``flock``), so a killed process leaves
none behind. A Chroma server (``QA_CHROMA_URL``) is shared by design and needs no lock.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path

from qa.errors import StoreUnavailable

_HELD: dict[Path, int] = {}  # lock file -> its descriptor; a process may claim its data dir often
_GUARD = threading.Lock()


def claim_writer(data_dir: Path) -> bool:
    """Make this process the data dir's one writer, or raise :class:`StoreUnavailable` naming the
    process that is. True if this call took the lock (False: this process already held it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / "writer.lock").resolve()
    with _GUARD:
        if path in _HELD:
            return False
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreUnavailable(
                f"QA_DATA_DIR {data_dir} is in use by {holder}: an embedded store takes one writing "
                "process at a time. Send the articles to that server (qa ingest --server URL, or "
                "POST /ingest), stop it first, or keep the articles on a Chroma server (QA_CHROMA_URL) "
                "that any number of processes share."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({_command()})".encode(), 0)
        _HELD[path] = fd
        return True


def release_writer(data_dir: Path) -> None:
    """Give the lock back before exit (a server that stops; tests that hand a data dir on)."""
    path = (data_dir / "writer.lock").resolve()
    with _GUARD:
        fd = _HELD.pop(path, None)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock


def _command() -> str:
    argv = [os.path.basename(sys.argv[0]), *sys.argv[1:3]] if sys.argv and sys.argv[0] else ["python"]
    if argv[0] in ("cli.py", "__main__.py", "-m"):
        argv[0] = "qa"
    return " ".join(a for a in argv if not a.startswith("-"))[:100]
