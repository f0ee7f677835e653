"""Writing one pre-built WebSocket frame to many sockets cheaply.

A server-to-client WebSocket frame is not masked, so the bytes of a text frame are the same for every
recipient: the hub builds them once per event (:class:`Frame`). Under daphne, the ASGI ``send`` path
costs tens of microseconds per socket (coroutine, autobahn framing, Twisted buffering with an
``add_writer``/``remove_writer`` pair per write). :class:`DirectWriter` instead sends the prepared bytes
straight to the socket when nothing is queued in front of them, and hands any rest to the Twisted
transport, so bytes never overtake each other. A socket whose unsent bytes pile up past
``MAX_QUEUED_BYTES`` (a client that stopped reading) is dropped: it reconnects and catches up from its
last seq, so the server's memory stays bounded and nothing is lost. Anything it does not recognise (another ASGI server,
TLS terminated in daphne, the test communicator) falls back to the normal ASGI ``send``.
"""

from __future__ import annotations

import functools
import struct
from typing import Any

MAX_QUEUED_BYTES = 4 * 1024 * 1024  # per socket, unsent; beyond this the socket is dropped


class Frame:
    """One encoded event: its JSON text, its ASGI message and (built on first use) its wire bytes."""

    __slots__ = ("_wire", "asgi", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.asgi = {"type": "websocket.send", "text": text}
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            payload = self.text.encode()
            size = len(payload)
            if size < 126:
                header = struct.pack("!BB", 0x81, size)
            elif size < 65536:
                header = struct.pack("!BBH", 0x81, 126, size)
            else:
                header = struct.pack("!BBQ", 0x81, 127, size)
            self._wire = header + payload
        return self._wire


class DirectWriter:
    """Writes frame bytes to the daphne/autobahn protocol behind an ASGI ``send``."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.transport = protocol.transport

    @classmethod
    def behind(cls, send: Any) -> DirectWriter | None:
        """The writer for the socket behind ``send`` (through channels' session wrapper), or None."""
        while hasattr(getattr(send, "__self__", None), "real_send"):
            send = send.__self__.real_send
        if not isinstance(send, functools.partial) or not send.args:
            return None
        protocol = send.args[0]
        transport = getattr(protocol, "transport", None)
        if not hasattr(protocol, "STATE_OPEN") or transport is None:
            return None
        if getattr(transport, "TLS", False) or not hasattr(transport, "socket"):
            return None
        return cls(protocol)

    def write(self, frame: Frame) -> bool:
        """Send the frame; False if the socket is no longer open (nothing was written)."""
        protocol, transport = self.protocol, self.transport
        if protocol.state != protocol.STATE_OPEN or transport.disconnecting or not transport.connected:
            return False
        data = frame.wire
        queued = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        if queued > MAX_QUEUED_BYTES:  # a reader this far behind reconnects and catches up by seq instead
            transport.abortConnection()
            return False
        if not queued:
            try:
                sent = transport.socket.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                return False  # the connection is going away; Twisted notices and closes it
            if sent == len(data):
                return True
            data = data[sent:]
        transport.write(data)
        return True
