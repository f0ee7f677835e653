"""Which media worker takes a new exam session: the least loaded live one.

A worker's load is the larger of its student share (sessions placed on it and attended, over its capacity)
and its host's busy CPU share, so a worker is avoided whether it is full of students or its machine is busy
with something else (a daphne next to it, a burst of analysis). Students are counted from the placements in
the database, not from the heartbeats, so a burst of students connecting within one heartbeat spreads at
once instead of all going to the worker that looked emptiest a second ago. Workers at capacity are chosen
only when every worker is: a full worker is better than no camera at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import Now

from ..models import ExamSession, MediaWorker
from .link import layer_name


@dataclass(frozen=True)
class WorkerLoad:
    worker_id: int
    capacity: int  # students
    students: int  # sessions placed on it whose student is connected (not paused, not ended)
    cpu: float  # busy share of its host's CPU, 0..1

    @property
    def full(self) -> bool:
        return self.students >= self.capacity

    @property
    def load(self) -> float:
        return max(self.students / max(1, self.capacity), self.cpu)


def choose(workers: Iterable[WorkerLoad]) -> WorkerLoad | None:
    """The least loaded worker (not full before full; then load, students, the older worker); None if none."""
    return min(workers, key=lambda w: (w.full, w.load, w.students, w.worker_id), default=None)


def live_workers() -> list[MediaWorker]:
    """Workers on this process's channel layer heard from within ``RTC_MEDIA_DEAD_AFTER_SECONDS`` by the
    database's clock (hosts' clocks never matter), and not stopped."""
    fresh = Now() - timedelta(seconds=settings.RTC_MEDIA_DEAD_AFTER_SECONDS)
    return list(MediaWorker.objects.filter(layer=layer_name(), stopped=False, heartbeat_at__gte=fresh))


def is_live(worker_id: int) -> bool:
    return any(worker.pk == worker_id for worker in live_workers())


def live_loads(exclude: int | None = None) -> list[WorkerLoad]:
    workers = [worker for worker in live_workers() if worker.pk != exclude]
    attended = (
        ExamSession.objects.filter(media_worker__in=[worker.pk for worker in workers])
        .exclude(state__in=[ExamSession.State.PAUSED, ExamSession.State.ENDED])
        .values("media_worker")
        .annotate(students=Count("pk"))
    )
    students = {row["media_worker"]: row["students"] for row in attended}
    return [WorkerLoad(w.pk, w.capacity, students.get(w.pk, 0), w.cpu) for w in workers]
