"""Start and stop a real ``chroma run`` server on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from qa.testing.process import ServerProcess, free_port

__all__ = ["ChromaServer", "free_port", "start_chroma_server"]


def _chroma_bin() -> str:
    here = Path(sys.executable).parent / "chroma"
    found = str(here) if here.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("the `chroma` command (from the chromadb package) is not installed")
    return found


class ChromaServer(ServerProcess):
    def __init__(self, path: Path, port: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        argv = [_chroma_bin(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(argv, path / "chroma-server.log")
        self.path = path
        self.url = f"http://127.0.0.1:{port}"


def start_chroma_server(path: Path, *, port: int | None = None, timeout_s: float = 60.0) -> ChromaServer:
    server = ChromaServer(path, port or free_port())
    server.wait_healthy(f"{server.url}/api/v2/heartbeat", timeout_s, "chroma server")
    return server
