"""A tiny TCP edge for tests: one address in front of several daphne, as nginx is in the cluster.

Each new connection goes to the first backend that accepts it (nginx's ``proxy_next_upstream error``: a dead
upstream is skipped), and lives and dies with that backend's connection — so a page behind it that loses its
daphne reconnects to the same URL and lands on a live one. Runs in the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib


class Edge:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends  # loopback ports, in order of preference
        self.server: asyncio.Server | None = None
        self.connections: list[int] = []  # the backend port each accepted connection went to

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def start(self) -> Edge:
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        for port in self.backends:
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections.append(port)
            await asyncio.gather(self.pipe(client_reader, backend_writer), self.pipe(backend_reader, client_writer))
            return
        client_writer.close()

    @staticmethod
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction until it ends, then close the other side (a dead daphne drops its clients)."""
        with contextlib.suppress(OSError):
            while data := await reader.read(65_536):
                writer.write(data)
                await writer.drain()
        writer.close()
