"""Defences of a real `qa serve` process below the app: silent connections, huge headers, forged
client addresses. Each reproduces an attack that used to work."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.testing.api_server import QAServer, start_qa_server

KEY = "k-server-limits-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QAServer]:
    env = {
        "QA_IDLE_TIMEOUT_S": "2",
        "QA_HEADER_TIMEOUT_S": "2",
        "QA_MIN_BODY_BYTES_PER_S": "1000",
        "QA_MAX_CONNECTIONS": "20",
        "QA_MAX_HEADER_BYTES": "16384",
        "QA_API_KEYS": KEY,
        "QA_RATE_LIMIT": "3/minute",
        "QA_SEED_ON_START": "false",
    }
    with start_qa_server(Path(tmp_path_factory.mktemp("limits")), env=env) as s:
        yield s


def _port(server: QAServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_a_connection_that_sends_nothing_is_closed(server: QAServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        t0 = time.monotonic()
        assert s.recv(1024) == b""  # the server hung up on us
        assert time.monotonic() - t0 < 10
    # ...and the server still serves everyone else.
    conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200


def test_slowloris_sockets_are_closed_and_others_are_served(server: QAServer) -> None:
    """More half-sent request heads than the server has connection slots: each sent one byte and
    waits. They are answered 408 and closed once the head deadline passes, and then everyone else
    is served (they used to hold every slot for as long as they stayed)."""
    socks = [socket.create_connection(("127.0.0.1", _port(server)), timeout=15) for _ in range(30)]
    try:
        for s in socks:
            s.sendall(b"G")
        t0 = time.monotonic()
        replies = [s.recv(1024) for s in socks]
        assert time.monotonic() - t0 < 10
        assert all(r in (b"",) or r.startswith(b"HTTP/1.1 408") or r.startswith(b"HTTP/1.1 503") for r in replies)
        assert sum(r.startswith(b"HTTP/1.1 408") for r in replies) >= 10
    finally:
        for s in socks:
            s.close()
    conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200


def test_a_body_that_trickles_is_cut(server: QAServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=20) as s:
        s.sendall(
            b"POST /articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"X-API-Key: {KEY}\r\nContent-Length: 100000\r\n\r\n".encode()
        )
        t0 = time.monotonic()
        reply = b""
        try:
            while time.monotonic() - t0 < 15:
                s.sendall(b" " * 10)  # 10 bytes a second: far under the 1,000 asked for
                time.sleep(1)
        except OSError:
            pass  # closed under us
        try:
            reply = s.recv(1024)
        except OSError:
            reply = b""
        assert time.monotonic() - t0 < 14
        assert reply == b"" or reply.startswith(b"HTTP/1.1 408")


def test_a_huge_header_is_refused_without_being_read(server: QAServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        s.sendall(b"GET /search?q=x HTTP/1.1\r\nHost: x\r\nX-Junk: ")
        sent, refused = 0, False
        try:
            while sent < 64 * 1024 * 1024:  # stop long before the attack's 300 MB
                s.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            refused = True  # the server closed the connection mid-header
        if not refused:
            reply = s.recv(1024)
            assert reply.startswith(b"HTTP/1.1 4") or reply == b""
        assert sent < 64 * 1024 * 1024


def test_forwarded_headers_do_not_choose_the_client_address(server: QAServer) -> None:
    # Wrong keys spend the sender's quota; a rotating X-Forwarded-For must not reset it.
    statuses = []
    for i in range(4):
        conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
        conn.request("GET", "/articles", headers={"X-API-Key": "guess", "X-Forwarded-For": f"10.0.0.{i}"})
        statuses.append(conn.getresponse().status)
    assert statuses[-1] == 429, statuses
