"""Servers started for tests die with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = """
import sys, time
from pathlib import Path
from qa.testing.process import ServerProcess
p = ServerProcess([sys.executable, "-c", "import time; time.sleep(120)"], Path(sys.argv[1]))
print(p.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux's")
def test_a_server_dies_when_the_test_process_is_killed_outright(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "server.log")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        server = int(parent.stdout.readline())
        assert alive(server)
        parent.send_signal(signal.SIGKILL)  # no teardown, no atexit: what a killed pytest does
        parent.wait(10)
        deadline = time.monotonic() + 10
        while alive(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(server)
    finally:
        parent.kill()
