"""Small asyncio helpers shared by every app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

_background: set[asyncio.Future] = set()


def spawn(coroutine: Awaitable[None]) -> None:
    """Run a coroutine on the current loop in the background, keeping a reference until it is done."""
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)
