"""A server process started by a test, stopped by its pid (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Self

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB (Linux /proc; 0 for one gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])  # kB
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total / 1024


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the process that started it dies, however it dies.
    A test run killed outright (no fixture teardown) then leaves no server behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _preexec() -> Callable[[], None] | None:
    # The signal follows the thread that forked, not the process: only the main thread's children
    # may rely on it, or a finished worker thread would take its server down with it.
    if sys.platform == "linux" and threading.current_thread() is threading.main_thread():
        return _die_with_parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        """``env`` is added to this process's environment."""
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self._proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env} if env else None,
                preexec_fn=_preexec(),
            )
        self.pid = self._proc.pid

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_healthy(self, url: str, timeout_s: float, what: str) -> None:
        """Poll ``url`` until it answers 200; on failure stop the process and raise with its log."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{what} did not become healthy at {url}:\n{tail}")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._proc.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self._proc.wait()
