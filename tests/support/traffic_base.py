"""What every client of the steady traffic (tests/support/traffic.py) shares: its socket, opened as a page opens it;
its outages and troubles; and, for clients with media, processes of their own that report back through a queue
(aiortc's packetisation and codecs stay out of the event loop that measures the chat)."""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import websockets

RETRY_PAUSE = 0.5  # seconds before a resend after `unavailable`, and between reconnection attempts
PING = {"ping_interval": 5.0, "ping_timeout": 10.0}  # a stalled connection (a cut-off host) is noticed in ~15 s


def ws_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/").replace("http://", "ws://", 1) + path


async def open_socket(base_url: str, path: str, cookie: str) -> websockets.ClientConnection:
    return await websockets.connect(
        ws_url(base_url, path),
        additional_headers={"Cookie": cookie},
        origin=base_url.rstrip("/"),
        max_size=2**22,
        open_timeout=10,
        close_timeout=2,
        **PING,
    )


@dataclass
class Availability:
    """One client's outages: when it noticed trouble and when it worked again."""

    down_since: float | None = None
    outages: list[tuple[float, float]] = field(default_factory=list)

    def down(self, at: float) -> None:
        if self.down_since is None:
            self.down_since = at

    def up(self, at: float) -> None:
        if self.down_since is not None:
            self.outages.append((self.down_since, at))
            self.down_since = None

    def back_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` until the end of its last outage since then (0: none); None while down."""
        if self.down_since is not None:
            return None
        ends = [end for _, end in self.outages if end > moment]
        return max(ends) - moment if ends else 0.0


class Sink(Protocol):
    """Where a client tells how it is doing: :class:`ClientState` in the traffic's process, :class:`Reporter` in
    a process of its own."""

    def up(self) -> None: ...

    def down(self) -> None: ...

    def error(self, code: str) -> None: ...

    def frames(self, count: int) -> None: ...


@dataclass
class ClientState:
    """A client's availability (down until it first works), its troubles by code and the media frames it received
    as ``(when, how many since the previous count)``."""

    availability: Availability = field(default_factory=lambda: Availability(down_since=time.time()))
    errors: Counter[str] = field(default_factory=Counter)
    received: list[tuple[float, int]] = field(default_factory=list)

    def up(self, at: float | None = None) -> None:
        self.availability.up(time.time() if at is None else at)

    def down(self, at: float | None = None) -> None:
        self.availability.down(time.time() if at is None else at)

    def error(self, code: str) -> None:
        self.errors[code] += 1

    def frames(self, count: int, at: float | None = None) -> None:
        self.received.append((time.time() if at is None else at, count))

    def frames_since(self, moment: float) -> int:
        return sum(count for at, count in self.received if at >= moment)


class Reporter:
    """A :class:`Sink` in a client process: each call a ``(what, key, when)`` report on the queue."""

    def __init__(self, reports: Any, key: int) -> None:
        self.reports, self.key = reports, key

    def put(self, what: str) -> None:
        self.reports.put((what, self.key, time.time()))

    def up(self) -> None:
        self.put("up")

    def down(self) -> None:
        self.put("down")

    def error(self, code: str) -> None:
        self.put("error:" + code)

    def frames(self, count: int) -> None:
        self.put(f"frames:{count}")


async def run_until_stopped(stop: Any, clients: list[Coroutine[Any, Any, None]]) -> None:
    """A client process's clients, until the traffic sets ``stop``; then they are cancelled (each closes what it
    opened)."""
    tasks = [asyncio.ensure_future(client) for client in clients]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# the entry point of a client process: (common arguments..., its entries, the report queue, the stop event)
ProcessTarget = Callable[..., None]


class ProcessClients:
    """Clients in spawned processes, ``per_process`` entries each, run by ``target(*arguments, entries, reports,
    stop)``; what their :class:`Reporter` says lands in ``states`` by the entries' ``key``."""

    def __init__(
        self, target: ProcessTarget, arguments: tuple, entries: list[dict], key: str, per_process: int
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.reports, self.done = ctx.Queue(), ctx.Event()
        self.states = {entry[key]: ClientState() for entry in entries}
        self.processes = [
            ctx.Process(target=target, args=(*arguments, entries[i : i + per_process], self.reports, self.done))
            for i in range(0, len(entries), per_process)
        ]
        self.collector = threading.Thread(target=self.collect, daemon=True)

    @property
    def availability(self) -> dict[int, Availability]:
        return {key: state.availability for key, state in self.states.items()}

    def errors(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for state in self.states.values():
            total.update(state.errors)
        return total

    def start(self) -> None:
        for process in self.processes:
            process.start()
        self.collector.start()

    def collect(self) -> None:
        while not self.done.is_set():
            try:
                what, key, at = self.reports.get(timeout=0.5)
            except queue.Empty:
                continue
            state = self.states[key]
            if what == "up":
                state.up(at)
            elif what == "down":
                state.down(at)
            elif what.startswith("frames:"):
                state.frames(int(what.removeprefix("frames:")), at)
            else:
                state.error(what.removeprefix("error:"))

    def stop(self) -> None:
        self.done.set()
        for process in self.processes:
            if process.pid is not None:
                process.join(15)
                if process.is_alive():
                    process.kill()
