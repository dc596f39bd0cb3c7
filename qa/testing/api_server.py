"""Start and stop a real ``qa serve`` process on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from qa.testing.process import ServerProcess, free_port

__all__ = ["QAServer", "QAWorker", "start_qa_server", "start_qa_worker"]


class QAServer(ServerProcess):
    def __init__(self, log_path: Path, port: int, env: dict[str, str], extra_args: list[str]) -> None:
        argv = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args]
        super().__init__(argv, log_path, env)
        self.url = f"http://127.0.0.1:{port}"


def start_qa_server(
    data_dir: Path,
    *,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    port: int | None = None,
    timeout_s: float = 120.0,
) -> QAServer:
    """``env`` holds QA_* settings; the data dir also keeps the server's log (qa-server-<port>.log)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    settings_env = {"QA_DATA_DIR": str(data_dir), **(env or {})}
    server = QAServer(data_dir / f"qa-server-{port}.log", port, settings_env, extra_args or [])
    server.wait_healthy(f"{server.url}/healthz", timeout_s, "qa server")
    return server


class QAWorker(ServerProcess):
    """A ``qa worker`` process: it serves nothing, so it is ready once it says it runs jobs."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        super().__init__([sys.executable, "-m", "qa.cli", "worker"], log_path, env)

    def wait_running(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._proc.poll() is None:
            if b"ingest worker running" in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"qa worker did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")


def start_qa_worker(data_dir: Path, *, env: dict[str, str] | None = None, timeout_s: float = 120.0) -> QAWorker:
    """``env`` holds QA_* settings; the data dir also keeps the worker's log (qa-worker.log)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    worker = QAWorker(data_dir / "qa-worker.log", {"QA_DATA_DIR": str(data_dir), **(env or {})})
    worker.wait_running(timeout_s)
    return worker
