"""Attendance of one lesson run, computed from the presence intervals our signalling recorded.

Two measures: time with the page open (the lesson socket's presence intervals) and time with media (the
stretches Janus reported the student's WebRTC connection up, :class:`~lessons.models.MediaInterval`).
A student who joined the group after the lesson is not on its sheet unless they took part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from server.accounts.models import User
from server.school.models import Enrolment

from .models import LessonRun, MediaInterval, Participant, Presence


@dataclass(frozen=True)
class AttendanceRow:
    student: User
    first_joined: dt.datetime | None
    last_left: dt.datetime | None
    seconds_present: float  # with the lesson page open
    seconds_with_media: float  # with the student's media up, as Janus reported it
    late: bool
    removed: bool
    media_connected: bool  # Janus reported the student's media up (event handler), at least once

    @property
    def minutes_present(self) -> float:
        return round(self.seconds_present / 60, 1)

    @property
    def minutes_with_media(self) -> float:
        return round(self.seconds_with_media / 60, 1)

    @property
    def status(self) -> str:
        if self.first_joined is None:
            return "absent"
        return "late" if self.late else "present"


def merged_seconds(intervals: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime) -> float:
    """Length of the union of the intervals, clipped to [start, end] (two tabs are not counted twice)."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start))
    total = 0.0
    current: tuple[dt.datetime, dt.datetime] | None = None  # the merged interval being extended
    for a, b in clipped:
        if current is None or a > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (a, b)
        else:
            current = (current[0], max(current[1], b))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def members_at(run: LessonRun) -> list[User]:
    """The group's students who were already in it when the lesson ended (or is due to end)."""
    joined_later = Enrolment.objects.filter(group_id=run.lesson.group_id, added_at__gt=run.ended_at or run.ends_at)
    return list(run.lesson.group.students.exclude(pk__in=joined_later.values("student_id")))


def sheet(run: LessonRun, now: dt.datetime | None = None) -> list[AttendanceRow]:
    """One row per student of the group (absent ones too) plus any other student who took part."""
    now = now or timezone.now()
    end = run.ended_at or now
    late_after = run.starts_at + dt.timedelta(minutes=settings.LESSONS_LATE_AFTER_MINUTES)
    participants = {
        p.user_id: p
        for p in Participant.objects.filter(run=run).exclude(role=Participant.Role.TEACHER).select_related("user")
    }
    presences: dict[int, list[Presence]] = {}
    for presence in Presence.objects.filter(participant__run=run).select_related("participant"):
        presences.setdefault(presence.participant.user_id, []).append(presence)
    media: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for spell in MediaInterval.objects.filter(presence__participant__run=run).select_related("presence__participant"):
        media.setdefault(spell.presence.participant.user_id, []).append((spell.up_at, spell.ended_by(now)))
    students = {s.pk: s for s in members_at(run)}
    students.update({uid: p.user for uid, p in participants.items()})
    rows = []
    for uid, student in students.items():
        own = presences.get(uid, [])
        intervals = [(p.joined_at, p.ended_by(now)) for p in own]
        first = min((p.joined_at for p in own), default=None)
        last = max((end for _, end in intervals), default=None)
        rows.append(
            AttendanceRow(
                student=student,
                first_joined=first,
                last_left=last,
                seconds_present=merged_seconds(intervals, run.starts_at, end),
                seconds_with_media=merged_seconds(media.get(uid, []), run.starts_at, end),
                late=first is not None and first > late_after,
                removed=uid in participants and participants[uid].removed,
                media_connected=any(p.media_up_at is not None for p in own),
            )
        )
    return sorted(rows, key=lambda r: (r.student.last_name, r.student.first_name, r.student.username))
