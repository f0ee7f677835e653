"""Occurrences of lessons in time: the schedule and the join window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from .models import Lesson, LessonRun

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


class Status(StrEnum):
    """What an occurrence is for one person right now — the one answer the schedule, the home page and
    the lesson page show (a lesson that ended early is «Урок завершён», not «Войти»; one in progress that
    the person cannot join is «идёт», not «вход с …»)."""

    ENDED = "ended"  # the teacher ended it (its run has ended_at)
    PAST = "past"  # its time and the overrun are over
    JOIN = "join"  # the person may enter now
    RUNNING = "running"  # in progress, the person does not enter it
    OPENS = "opens"  # the person may enter from join_opens_at
    UPCOMING = "upcoming"  # later, and the person does not enter it


def status(occurrence: Occurrence, *, ended: bool, may_join: bool, now: dt.datetime) -> Status:
    if ended:
        return Status.ENDED
    if now >= occurrence.ends_at + OVERRUN:
        return Status.PAST
    if may_join and occurrence.is_joinable(now):
        return Status.JOIN
    if now >= occurrence.starts_at:
        return Status.RUNNING
    return Status.OPENS if may_join else Status.UPCOMING


def ended_runs(lessons: Iterable[Lesson], since: dt.datetime, until: dt.datetime) -> set[tuple[int, dt.datetime]]:
    """(lesson id, start) of the occurrences in [since, until) that their teacher ended — one query."""
    runs = LessonRun.objects.filter(
        lesson__in=list(lessons), starts_at__gte=since, starts_at__lt=until, ended_at__isnull=False
    )
    return set(runs.values_list("lesson_id", "starts_at"))
