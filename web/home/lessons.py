"""Lessons on the home page: the student's now-or-next, the teacher's today, each child's next ones for a parent.

Which lessons a person may join follows from how they were found (a student's own groups, the teacher's own
lessons), so no per-lesson permission query is needed: the page's query count stays the same however many
lessons there are (tests/web/test_home.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from lessons.models import Lesson
from lessons.schedule import OVERRUN, Occurrence, Status, ended_runs, occurrences, status
from server.accounts.models import User
from server.school.models import StudyGroup

from .items import Item

LOOK_AHEAD = dt.timedelta(days=7)
UPCOMING_SHOWN = 3


def _lessons(condition: Q) -> QuerySet[Lesson]:
    return Lesson.objects.filter(condition).select_related("group", "teacher").distinct()


def _coming(lessons: Iterable[Lesson], now: dt.datetime, until: dt.datetime) -> tuple[list[Occurrence], set]:
    """Occurrences not yet over (running or later) up to ``until``, and which of them their teacher ended."""
    lessons = list(lessons)
    since = now - dt.timedelta(hours=4) - OVERRUN
    found = [o for o in occurrences(lessons, since, until) if o.ends_at + OVERRUN > now]
    return found, ended_runs(lessons, since, until)


def _item(occurrence: Occurrence, ended: set, now: dt.datetime, may_join: bool, start: bool = False) -> Item:
    lesson = occurrence.lesson
    was_ended = (lesson.pk, occurrence.starts_at) in ended
    state = status(occurrence, ended=was_ended, may_join=may_join, now=now)
    return Item(
        title=lesson.title,
        detail=f"{lesson.group}, {lesson.teacher}",
        occurrence=occurrence,
        status=state,
        start=start,
        urgent=state in (Status.JOIN, Status.RUNNING),
    )


def student_lessons(student: User, now: dt.datetime) -> list[Item]:
    """The lesson running now or next (and the few after it), with «Войти» when the room is open."""
    found, ended = _coming(_lessons(Q(group__students=student)), now, now + LOOK_AHEAD)
    shown = [o for o in found if (o.lesson.pk, o.starts_at) not in ended][:UPCOMING_SHOWN]
    return [_item(o, ended, now, may_join=True) for o in shown]


def teacher_lessons(teacher: User, now: dt.datetime, day_end: dt.datetime) -> list[Item]:
    """Today's lessons the teacher gives, with «Начать урок» when the room is open."""
    found, ended = _coming(_lessons(Q(teacher=teacher) | Q(group__teachers=teacher)), now, day_end)
    return [_item(o, ended, now, may_join=True, start=True) for o in found]


def children_lessons(children: list[User], now: dt.datetime) -> dict[int, list[Item]]:
    """Each child's next lessons (child id → items), shown without a join button: the child joins."""
    lessons = list(_lessons(Q(group__students__in=children)))
    groups_of: dict[int, set[int]] = {}
    for child_id, group_id in StudyGroup.students.through.objects.filter(user__in=children).values_list(
        "user_id", "studygroup_id"
    ):
        groups_of.setdefault(child_id, set()).add(group_id)
    found, ended = _coming(lessons, now, now + LOOK_AHEAD)
    result: dict[int, list[Item]] = {}
    for child in children:
        own = [o for o in found if o.lesson.group_id in groups_of.get(child.pk, set())]
        result[child.pk] = [_item(o, ended, now, may_join=False) for o in own[:UPCOMING_SHOWN]]
    return result
