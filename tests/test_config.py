"""Settings refuse what the service could not run with, at start, in one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from qa.config import Settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QA_API_KEYS": " , "}, "QA_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": ""}, "QA_API_KEYS is set but holds no key"),
        # What "$(cat keys)" gives from a CRLF file, and other whitespace that is not a space.
        ({"QA_API_KEYS": "\r"}, "QA_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": "\t"}, "QA_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": "\n"}, "QA_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": "\t,\t"}, "QA_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": "\u00a0"}, "QA_API_KEYS is set but holds no key"),
        ({"QA_READ_API_KEYS": "\r"}, "QA_READ_API_KEYS is set but holds no key"),
        ({"QA_API_KEYS": "k1,k2", "QA_READ_API_KEYS": "k2"}, "a key is in both QA_API_KEYS and QA_READ_API_KEYS"),
        ({"QA_ENGINE": "llm"}, "QA_ENGINE=llm needs QA_LLM_BASE_URL"),
        ({"QA_ENGINE": "llm", "QA_LLM_BASE_URL": "http://127.0.0.1:9/v1"}, "needs QA_LLM_MODEL"),
        ({"QA_LLM_BASE_URL": "127.0.0.1:8080"}, "is not an http(s) URL"),
        (
            {
                "QA_ENGINE": "llm",
                "QA_LLM_BASE_URL": "http://127.0.0.1:9/v1",
                "QA_LLM_MODEL": "m",
                "QA_PROMPTS_DIR": "/no",
            },
            "QA_PROMPTS_DIR /no lacks the LLM engine's prompts: ask.system.md",
        ),
        ({"QA_LOG_LEVEL": "LOUD"}, "is not a log level"),
        ({"QA_TRUSTED_PROXIES": "127.0.0.1, not an ip"}, "'not an ip' is not an IP address or network"),
        ({"QA_LOG_FORMAT": "xml"}, "'json' or 'text'"),
        ({"QA_RATE_LIMIT_STORAGE": "banana://"}, "is not a 'limits' storage URI"),
        ({"QA_MIN_CONFIDENCE": "2"}, "less than or equal to 1"),
        ({"QA_EMBEDDER": "openai"}, "QA_EMBEDDER=openai needs QA_EMBED_BASE_URL"),
        ({"QA_EMBEDDER": "openai", "QA_EMBED_BASE_URL": "http://127.0.0.1:9/v1"}, "and QA_EMBED_MODEL"),
        ({"QA_EMBED_BASE_URL": "127.0.0.1:8080"}, "is not an http(s) URL"),
    ],
)
def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_good_settings_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_API_KEYS", "k1, k2")
    monkeypatch.setenv("QA_LOG_LEVEL", "warning")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.api_keys == ["k1", "k2"] and s.log_level == "WARNING"
    monkeypatch.setenv("QA_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, ::1")
    assert Settings(_env_file=None).trusted_proxies  # type: ignore[call-arg]
    monkeypatch.setenv("QA_API_KEYS", "k1\r\n")  # a CRLF keys file: the key, not the line ending
    assert Settings(_env_file=None).api_keys == ["k1"]  # type: ignore[call-arg]
    # Given as a list (in code): trimmed too, and a list of blanks is no key.
    assert Settings(_env_file=None, api_keys=[" k1 ", "k2"]).api_keys == ["k1", "k2"]  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="holds no key"):
        Settings(_env_file=None, api_keys=["\t", " "])  # type: ignore[call-arg]


def test_the_cli_says_which_setting_in_one_line(tmp_path: object) -> None:
    env = {**os.environ, "QA_ENGINE": "llm", "QA_LLM_BASE_URL": "", "OPENAI_API_KEY": ""}
    env.pop("OPENAI_API_KEY")
    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", "serve", "--no-seed"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert "QA_ENGINE=llm needs QA_LLM_BASE_URL" in r.stderr and "Traceback" not in r.stderr
    assert "serving on" not in r.stdout + r.stderr


@pytest.mark.parametrize("keys", ["\r", "\t,\t", "\u00a0"])
def test_the_server_never_starts_open_on_keys_of_whitespace(tmp_path: object, keys: str) -> None:
    """The attack of the second hardening round: QA_API_KEYS=$'\\r' started the server without keys."""
    from qa.testing.chroma_server import free_port

    env = {**os.environ, "QA_API_KEYS": keys, "QA_DATA_DIR": str(tmp_path)}
    r = subprocess.run(  # with the bug it serves, open, until the timeout fails the test
        [sys.executable, "-m", "qa.cli", "serve", "--no-seed", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "QA_API_KEYS is set but holds no key" in r.stderr and "Traceback" not in r.stderr


def test_a_data_dir_that_takes_no_writes_is_refused_at_start(tmp_path: object) -> None:
    from pathlib import Path

    from qa.errors import QAError

    blocker = Path(str(tmp_path)) / "a-file"
    blocker.write_text("not a folder")
    s = Settings(_env_file=None, data_dir=blocker / "data")  # type: ignore[call-arg]
    with pytest.raises(QAError, match=r"QA_DATA_DIR .* is not writable"):
        s.check_data_dir()
    env = {**os.environ, "QA_DATA_DIR": str(blocker / "data")}
    r = subprocess.run(
        [sys.executable, "-m", "qa.cli", "serve", "--no-seed"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "serving on" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "is not writable" in r.stderr  # one line
