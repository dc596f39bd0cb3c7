"""The HTTP server's own defences, below the app: idle connections, slow or oversized request heads,
and bodies that trickle.

uvicorn closes an idle keep-alive connection, but never times out one that connects and sends
nothing, so a client could hold every file handle of the process. Here that timer starts when
the connection opens. Its timer is cancelled by the first byte, so a client that sends one byte
and waits (slowloris) would hold its slot for ever: a request head must also arrive whole within
``header_timeout_s`` of its first byte, and a body must keep up a minimum rate, as a reverse
proxy demands. Request heads are parsed by h11 with a size cap, so an oversized header is refused
after ``max_header_bytes`` instead of being buffered.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.config import get_settings

BODY_WINDOW_S = 5.0  # a body's rate is judged over windows this long
_TIMEOUT_REPLY = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class GuardedH11Protocol(H11Protocol):
    """h11, with the keep-alive timeout also covering a connection's first request, a deadline
    for each request head and a minimum rate for each request body."""

    _head_deadline: asyncio.TimerHandle | None = None
    _body_check: asyncio.TimerHandle | None = None
    _body_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Read here, not passed in: uvicorn's worker processes get this class by name (pickled),
        # and each reads the same QA_* environment.
        settings = get_settings()
        self.header_timeout_s = settings.header_timeout_s
        self.min_body_bytes_per_s = settings.min_body_bytes_per_s
        # Cancelled by the first byte received, as for any idle keep-alive connection.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)
        if self.conn.their_state is h11.SEND_BODY:
            self._body_bytes += len(data)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete
            self._cancel_head_deadline()
            if self.conn.their_state is h11.SEND_BODY and self._body_check is None:
                self._body_bytes = 0
                self._body_check = self.loop.call_later(BODY_WINDOW_S, self._check_body_rate)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _check_body_rate(self) -> None:
        self._body_check = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        # While reading is paused (the app has not taken what came), a slow body is ours, not theirs.
        if not self.flow.read_paused and self._body_bytes < self.min_body_bytes_per_s * BODY_WINDOW_S:
            self._too_slow()
            return
        self._body_bytes = 0
        self._body_check = self.loop.call_later(BODY_WINDOW_S, self._check_body_rate)

    def _too_slow(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing():
            return
        in_head = self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
        if in_head or self.conn.their_state is h11.SEND_BODY:
            self.logger.info("closed a connection whose request arrived too slowly")
            if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
                self.transport.write(_TIMEOUT_REPLY)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        if self._body_check is not None:
            self._body_check.cancel()
            self._body_check = None
        super().connection_lost(exc)
