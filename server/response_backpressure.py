"""Backpressure for HTTP response bodies under daphne: what a client has not read yet stays in the file, not in the
server's memory.

daphne (pinned 4.2.3) writes every ``http.response.body`` message into Twisted's transport and returns at once,
so an application streaming a file is never slowed by the client: whatever the socket does not take waits in
Twisted's buffer. A browser's ``<video>`` asks for ``bytes=0-`` and stops reading once it has buffered enough;
a 300 MB recording streamed to a client that stopped reading grew daphne by 297 MB. :func:`install` makes
daphne's ``send`` of a body message with more to come return only once the transport has written its buffer out,
through Twisted's own flow control: a push producer registered on the request (:class:`Pacer`), which the
transport pauses when its buffer is full and resumes when the buffer is written out. A streamed response then
holds about one chunk (server/ranged_file.py) besides the kernel's socket buffers. daphne has no hook for this:
the patch wraps ``Server.handle_reply``; tests/lessons/test_recording_streaming.py fails if a daphne upgrade
changes it.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Pacer:
    """A Twisted push producer on one response: paused while the connection's send buffer is full; released
    (resumed for good) when the response finishes or its connection is lost, so nothing waits forever."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()

    def pauseProducing(self) -> None:
        self.writable.clear()

    def resumeProducing(self) -> None:
        self.writable.set()

    def stopProducing(self) -> None:
        self.writable.set()


def install() -> None:
    """Pace the response bodies of every HTTP request daphne serves to what the client reads (idempotent)."""
    from daphne.server import Server

    if getattr(Server, "_paced", False):
        return
    handle_reply = Server.handle_reply

    async def paced_handle_reply(self: Any, protocol: Any, message: dict) -> None:
        body = message.get("type") == "http.response.body"
        more = body and bool(message.get("more_body", False))
        pacer = _pacer(protocol, more) if body else None
        if body and not more and pacer is not None and protocol.channel is not None:
            protocol.unregisterProducer()  # before daphne finishes the request, which wants none registered
        await handle_reply(self, protocol, message)
        if more and pacer is not None:
            await pacer.writable.wait()

    Server.handle_reply = paced_handle_reply
    Server._paced = True


def _pacer(request: Any, register: bool) -> Pacer | None:
    """The request's :class:`Pacer`, registered with Twisted first if ``register`` and the request is still
    connected and has no other producer; None if it has none."""
    if isinstance(request.producer, Pacer):
        return request.producer
    if not register or request.finished or request.channel is None or request.producer is not None:
        return None
    pacer = Pacer()
    request.registerProducer(pacer, True)
    request.notifyFinish().addBoth(lambda _: pacer.stopProducing())
    return pacer
