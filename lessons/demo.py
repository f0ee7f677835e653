"""Demo timetable for `make run`: a lesson of 9А that is open right now, and weekly lessons."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from server.accounts.models import User
from server.school.models import StudyGroup

from .models import Lesson

DEMO_TITLES = ("Алгебра", "Физика", "Консультация перед контрольной")


@transaction.atomic
def seed(now: dt.datetime | None = None) -> int:
    """Create the demo lessons once (none if any exist, or the demo school is missing); return how many."""
    if Lesson.objects.filter(title__in=DEMO_TITLES).exists():
        return 0
    group_9a, group_10b = StudyGroup.objects.filter(name="9А").first(), StudyGroup.objects.filter(name="10Б").first()
    teacher, teacher2 = (
        User.objects.filter(username="teacher").first(),
        User.objects.filter(username="teacher2").first(),
    )
    if not (group_9a and group_10b and teacher and teacher2):
        return 0
    now = timezone.localtime(now or timezone.now())
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    lessons = [
        Lesson(
            title="Алгебра",
            group=group_9a,
            teacher=teacher,
            starts_at=this_hour,
            duration_minutes=240,
            repeat_weekly=True,
        ),
        Lesson(
            title="Физика",
            group=group_9a,
            teacher=teacher,
            starts_at=this_hour + dt.timedelta(days=1, hours=1),
            duration_minutes=45,
            repeat_weekly=True,
        ),
        Lesson(
            title="Консультация перед контрольной",
            kind=Lesson.Kind.CONSULTATION,
            group=group_10b,
            teacher=teacher2,
            starts_at=this_hour + dt.timedelta(days=2),
            duration_minutes=30,
        ),
    ]
    Lesson.objects.bulk_create(lessons)
    return len(lessons)
