"""Start and stop a real ``redis-server`` on 127.0.0.1 (Debian's package), for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from qa.testing.process import ServerProcess, free_port

__all__ = ["RedisServer", "redis_server_binary", "start_redis_server"]


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer(ServerProcess):
    def __init__(self, path: Path, port: int) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        path.mkdir(parents=True, exist_ok=True)
        # Persistence as in production (append-only file, fsync every second), in the test's folder.
        argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(path), "--appendonly", "yes"]
        argv += ["--save", "", "--protected-mode", "yes"]
        super().__init__(argv, path / "redis-server.log")
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start:\n{self.log_path.read_text(errors='replace')[-2000:]}")


def start_redis_server(path: Path, *, port: int | None = None, timeout_s: float = 20.0) -> RedisServer:
    server = RedisServer(path, port or free_port())
    server.wait_ready(timeout_s)
    return server
