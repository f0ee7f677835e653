"""Backpressure for WebSocket frames under daphne: a client sending faster than its consumer handles waits in TCP,
not in the server's memory.

daphne (pinned 4.2.3) hands every received frame to the application through an unbounded ``asyncio.Queue``
(``WebSocketProtocol.onMessage`` → ``application_queue.put_nowait``) and never stops reading the connection: a
client sending offers as fast as the loopback takes them grew daphne by 600 MB in 20 s although every one of them
was refused at once (bench/hostile.py). :func:`install` bounds that queue per connection: once it holds
``QUEUED_FRAMES`` frames daphne stops reading the connection (Twisted's ``pauseProducing``: the kernel's buffers
fill and the client's sends wait), and reads again when the consumer has taken the queue down to half. Frames are
never dropped, so every message still gets its answer, in order. daphne has no hook for this: the patch wraps
``onMessage`` and, while reading is paused, the queue's ``get_nowait`` (through which ``Queue.get`` takes every
item); tests/exams/test_hostile_client.py fails if a daphne upgrade changes either.
"""

from __future__ import annotations

import asyncio
from typing import Any

QUEUED_FRAMES = 64  # frames of one connection waiting for its consumer before daphne stops reading it


def install() -> None:
    """Bound the frame queue of every WebSocket connection daphne serves (idempotent)."""
    from daphne.ws_protocol import WebSocketProtocol

    if getattr(WebSocketProtocol, "_bounded", False):
        return
    on_message = WebSocketProtocol.onMessage

    def bounded_on_message(self: Any, payload: bytes, is_binary: bool) -> None:
        on_message(self, payload, is_binary)
        frames: asyncio.Queue[Any] | None = getattr(self, "application_queue", None)
        if frames is not None and frames.qsize() >= QUEUED_FRAMES and "get_nowait" not in vars(frames):
            _pause_until_drained(self.transport, frames)

    WebSocketProtocol.onMessage = bounded_on_message
    WebSocketProtocol._bounded = True


def _pause_until_drained(transport: Any, frames: asyncio.Queue[Any]) -> None:
    transport.pauseProducing()

    def get_nowait() -> Any:
        item = asyncio.Queue.get_nowait(frames)
        if frames.qsize() <= QUEUED_FRAMES // 2:
            del frames.get_nowait  # back to the class's
            transport.resumeProducing()
        return item

    frames.get_nowait = get_nowait  # type: ignore[method-assign]
