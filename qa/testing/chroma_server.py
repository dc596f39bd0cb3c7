"""Start and stop a real ``chroma run`` server on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chroma_bin() -> str:
    here = Path(sys.executable).parent / "chroma"
    found = str(here) if here.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("the `chroma` command (from the chromadb package) is not installed")
    return found


@dataclass
class ChromaServer:
    url: str
    pid: int
    path: Path
    _proc: subprocess.Popen[bytes] = field(repr=False)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._proc.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self._proc.wait()

    def __enter__(self) -> ChromaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_chroma_server(path: Path, *, port: int | None = None, timeout_s: float = 60.0) -> ChromaServer:
    port = port or free_port()
    path.mkdir(parents=True, exist_ok=True)
    log = open(path / "chroma-server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [_chroma_bin(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    server = ChromaServer(url=url, pid=proc.pid, path=path, _proc=proc)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    tail = (path / "chroma-server.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"chroma server did not become healthy on {url}:\n{tail}")
