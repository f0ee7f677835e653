"""Waiting for something to become true, with a generous time-out (how fast it happens is bench/'s business)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.25, what: str = "condition"):
    """Poll ``check`` (a plain or an async function) until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
