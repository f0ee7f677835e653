"""Attendance this week at a glance: each child's lessons attended (parent), each group's rate (curator).

A lesson counts once it was held (someone opened it: it has a run); a student attended when they were
present in it at all. Three queries whatever the number of children, groups or lessons.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from lessons.models import LessonRun, Participant
from server.accounts.models import User
from server.school.models import StudyGroup


def week_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return (local - dt.timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def _held(group_ids: set[int], now: dt.datetime) -> dict[int, int]:
    """Run id → group id of the lessons held this week in these groups."""
    runs = LessonRun.objects.filter(lesson__group_id__in=group_ids, starts_at__gte=week_start(now), starts_at__lt=now)
    return dict(runs.values_list("pk", "lesson__group_id"))


def _present(runs: dict[int, int], students: list[int] | None = None) -> set[tuple[int, int]]:
    """(student id, run id) of students present in these runs."""
    present = Participant.objects.filter(run_id__in=runs, role=Participant.Role.STUDENT, presences__isnull=False)
    if students is not None:
        present = present.filter(user_id__in=students)
    return set(present.values_list("user_id", "run_id").distinct())


def children_week(children: list[User], now: dt.datetime) -> dict[int, tuple[int, int]]:
    """Child id → (lessons attended, lessons held) this week in the child's groups."""
    memberships = StudyGroup.students.through.objects.filter(user__in=children).values_list("user_id", "studygroup_id")
    groups_of: dict[int, set[int]] = {}
    for child_id, group_id in memberships:
        groups_of.setdefault(child_id, set()).add(group_id)
    runs = _held({g for groups in groups_of.values() for g in groups}, now)
    present = _present(runs, [c.pk for c in children])
    result = {}
    for child in children:
        own = [run for run, group in runs.items() if group in groups_of.get(child.pk, set())]
        result[child.pk] = (sum(1 for run in own if (child.pk, run) in present), len(own))
    return result


def groups_week(groups: list[StudyGroup], now: dt.datetime) -> dict[int, tuple[int, int, int]]:
    """Group id → (lessons held, student presences, student places = students × lessons) this week."""
    sizes = dict(
        StudyGroup.objects.filter(pk__in=[g.pk for g in groups])
        .annotate(n=Count("students", distinct=True))
        .values_list("pk", "n")
    )
    runs = _held(set(sizes), now)
    present = _present(runs)
    result = {}
    for group in groups:
        own = {run for run, g in runs.items() if g == group.pk}
        presences = sum(1 for _, run in present if run in own)
        result[group.pk] = (len(own), presences, len(own) * sizes.get(group.pk, 0))
    return result
