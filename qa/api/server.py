"""The HTTP server's own defences, below the app: idle connections and oversized headers.

uvicorn closes an idle keep-alive connection, but never times out one that connects and sends
nothing, so a client could hold every file handle of the process. Here that timer starts when
the connection opens. Request heads are parsed by h11 with a size cap, so an oversized header
is refused after ``max_header_bytes`` instead of being buffered.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    """h11, with the keep-alive timeout also covering a connection's first request."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Cancelled by the first byte received, as for any idle keep-alive connection.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
