"""Small asyncio helpers shared by every app."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_background: set[asyncio.Future] = set()


def spawn(coroutine: Awaitable[None]) -> None:
    """Run a coroutine on the current loop in the background, keeping a reference until it is done."""
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


class PerLoop(Generic[T]):
    """One service per event loop (a process's chat hub, its rights watch), started on first use.

    Keyed by loop because what they hold (channel-layer channels, Redis connections, tasks) belongs to one
    loop; concurrent first callers share one start, and a start that failed is tried again by the next caller.
    """

    def __init__(self, start: Callable[[], Awaitable[T]]) -> None:
        self._start = start
        self._running: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()
        self._starting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[T]] = (
            weakref.WeakKeyDictionary()
        )

    def current(self) -> T | None:
        """This loop's service if it has started, without starting it."""
        return self._running.get(asyncio.get_running_loop())

    async def get(self) -> T:
        loop = asyncio.get_running_loop()
        if (service := self._running.get(loop)) is not None:
            return service
        if (starting := self._starting.get(loop)) is not None:
            return await asyncio.shield(starting)
        future: asyncio.Future[T] = loop.create_future()
        self._starting[loop] = future
        try:
            service = await self._start()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: later callers try again
            raise
        finally:
            del self._starting[loop]
        self._running[loop] = service
        future.set_result(service)
        return service
