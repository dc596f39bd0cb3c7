"""Start and stop a real ``qa serve`` process on 127.0.0.1, for tests and benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

from qa.testing.process import ServerProcess, free_port

__all__ = ["QAServer", "start_qa_server"]


class QAServer(ServerProcess):
    def __init__(self, log_path: Path, port: int, env: dict[str, str], extra_args: list[str]) -> None:
        argv = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args]
        super().__init__(argv, log_path, env)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> QAServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


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
