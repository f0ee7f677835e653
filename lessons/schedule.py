"""Occurrences of lessons in time: the schedule and the join window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .models import Lesson

# A lesson may run over its planned end (a question after the bell) before the room closes.
OVERRUN = dt.timedelta(minutes=30)


def join_opens(start: dt.datetime) -> dt.datetime:
    return start - dt.timedelta(minutes=settings.LESSONS_JOIN_EARLY_MINUTES)


@dataclass(frozen=True)
class Occurrence:
    lesson: Lesson
    starts_at: dt.datetime

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + self.lesson.duration

    @property
    def join_opens_at(self) -> dt.datetime:
        return join_opens(self.starts_at)

    def is_joinable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.join_opens_at <= now < self.ends_at + OVERRUN


def occurrences(lessons: Iterable[Lesson], since: dt.datetime, until: dt.datetime) -> list[Occurrence]:
    found = [Occurrence(lesson, start) for lesson in lessons for start in lesson.occurrences(since, until)]
    return sorted(found, key=lambda o: (o.starts_at, o.lesson.pk))


def current_occurrence(lesson: Lesson, now: dt.datetime | None = None) -> Occurrence | None:
    """The occurrence whose join window contains ``now`` (the earliest if windows overlap)."""
    now = now or timezone.now()
    window_start = now - lesson.duration - OVERRUN
    window_end = now + dt.timedelta(minutes=settings.LESSONS_JOIN_EARLY_MINUTES) + dt.timedelta(seconds=1)
    for occurrence in occurrences([lesson], window_start, window_end):
        if occurrence.is_joinable(now):
            return occurrence
    return None
