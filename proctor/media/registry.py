"""The media workers' registry: workers announce themselves and beat; daphne processes watch the ones they use.

Each worker process writes its row (:class:`proctor.models.MediaWorker`) when it starts and updates it every
``RTC_MEDIA_HEARTBEAT_SECONDS`` (default 1) with the students it holds and its host's CPU; it marks the row
stopped when it stops by itself. A worker is dead when its heartbeats stop for ``RTC_MEDIA_DEAD_AFTER_SECONDS``
(default 4): then the exam sockets placed on it move their sessions to a live worker
(:func:`proctor.actions.place_media`) and their pages offer again.

Each daphne process runs one :class:`WorkerWatch` for the workers its exam sockets use: one query a heartbeat
period for all of them. It judges liveness by :class:`Liveness`: the beat counter must be seen to change on this
process's own clock, so a database that was unreachable (restarted) or hosts whose clocks differ never make a
live worker look dead; only a worker missing from the registry (stopped, or removed) is dead at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from pathlib import Path

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Now

from server.aio import PerLoop, spawn

from ..models import MediaWorker
from .link import layer_name

log = logging.getLogger(__name__)

FORGOTTEN_AFTER = timedelta(days=1)  # rows of workers dead this long are deleted when a worker starts


# --- the worker's side -------------------------------------------------------------------------


def announce(name: str) -> int:
    """Register this process as a worker (a new row: its id names its channel); forget long-dead workers."""
    MediaWorker.objects.filter(heartbeat_at__lt=Now() - FORGOTTEN_AFTER).delete()
    worker = MediaWorker.objects.create(
        name=name,
        host=socket.gethostname(),
        pid=os.getpid(),
        layer=layer_name(),
        capacity=settings.RTC_MEDIA_CAPACITY,
        heartbeat_at=Now(),
    )
    return worker.pk


def heartbeat(worker_id: int, students: int, cpu: float) -> None:
    MediaWorker.objects.filter(pk=worker_id).update(
        beats=F("beats") + 1, heartbeat_at=Now(), students=students, cpu=cpu
    )


def retire(worker_id: int) -> None:
    """The worker stops by itself: dead at once for every watcher, its sessions move without waiting."""
    MediaWorker.objects.filter(pk=worker_id).update(stopped=True, heartbeat_at=Now())


class HostCpu:
    """The host's busy CPU share between two readings of ``/proc/stat`` (0 where there is none)."""

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[int, int] | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    def busy(self) -> float:
        now, last = self._read(), self._last
        self._last = now
        if now is None or last is None or now[0] <= last[0]:
            return 0.0
        total, idle = now[0] - last[0], now[1] - last[1]
        return round(max(0.0, min(1.0, 1 - idle / total)), 3)


async def keep_beating(worker_id: int, students: Callable[[], int]) -> None:
    """Beat every heartbeat period until cancelled; a failed beat is logged and the next one tried."""
    cpu = HostCpu()
    while True:
        await asyncio.sleep(settings.RTC_MEDIA_HEARTBEAT_SECONDS)
        try:
            await database_sync_to_async(heartbeat)(worker_id, students(), cpu.busy())
        except Exception as error:
            log.warning("media worker %s: heartbeat failed (%r)", worker_id, error)


# --- the watchers' side ------------------------------------------------------------------------


class Liveness:
    """Which watched workers are dead, from readings of their beat counters (pure: the caller brings the clock).

    A worker is dead when it is missing from a reading (stopped, or its row removed), or when its counter has not
    changed across readings spanning ``dead_after`` seconds. A failed reading (:meth:`unknown`) forgets what was
    seen, so the wait starts again from the next good reading: an outage of the registry is not a death.
    """

    def __init__(self, dead_after: float) -> None:
        self.dead_after = dead_after
        self._seen: dict[int, tuple[int, float]] = {}  # worker -> (beats, since when this process sees that value)

    def unknown(self) -> None:
        self._seen.clear()

    def dead(self, watched: Iterable[int], beats: dict[int, int], now: float) -> set[int]:
        dead = set()
        for worker in watched:
            if worker not in beats:
                dead.add(worker)
                continue
            seen = self._seen.get(worker)
            if seen is None or seen[0] != beats[worker]:
                self._seen[worker] = (beats[worker], now)
            elif now - seen[1] >= self.dead_after:
                dead.add(worker)
        for worker in dead:
            self._seen.pop(worker, None)
        return dead


def _beats(worker_ids: list[int]) -> dict[int, int]:
    rows = MediaWorker.objects.filter(pk__in=worker_ids, stopped=False).values_list("pk", "beats")
    return dict(rows)


OnLost = Callable[[int], Awaitable[None]]


class WorkerWatch:
    """This process's watch over the workers its exam sockets use; calls each follower once its worker is dead."""

    def __init__(self) -> None:
        self._followers: dict[int, dict[object, OnLost]] = {}  # worker -> {follower key: callback(worker)}
        self._liveness = Liveness(settings.RTC_MEDIA_DEAD_AFTER_SECONDS)

    def follow(self, worker_id: int, key: object, on_lost: OnLost) -> None:
        self._followers.setdefault(worker_id, {})[key] = on_lost

    def unfollow(self, worker_id: int, key: object) -> None:
        if (followers := self._followers.get(worker_id)) is not None:
            followers.pop(key, None)
            if not followers:
                del self._followers[worker_id]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(settings.RTC_MEDIA_HEARTBEAT_SECONDS)
            if self._followers:
                await self.check()

    async def check(self) -> None:
        watched = list(self._followers)
        try:
            beats = await database_sync_to_async(_beats)(watched)
        except Exception as error:
            log.warning("media workers' registry unreadable (%r): no worker is judged until it is", error)
            self._liveness.unknown()
            return
        for worker in self._liveness.dead(watched, beats, time.monotonic()):
            log.warning("media worker %s is dead: its sessions move", worker)
            for on_lost in self._followers.pop(worker, {}).values():
                spawn(on_lost(worker))


async def _start_watch() -> WorkerWatch:
    watch = WorkerWatch()
    spawn(watch.run())
    return watch


_watch: PerLoop[WorkerWatch] = PerLoop(_start_watch)


async def watch() -> WorkerWatch:
    """This process's (event loop's) watch, started on first use."""
    return await _watch.get()
