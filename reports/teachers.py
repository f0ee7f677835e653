"""Teachers' activity (seeds 000, 004): lessons held, attendance taken, exams reviewed, parents answered in time.

* lessons held — runs of the teacher's lessons that started in the period;
* attendance taken — of those, the runs the teacher ended: the sheet is final once the lesson is ended;
* exams reviewed — exam sessions the person gave a verdict on in the period;
* parents' questions — questions addressed to them (the 3-day rule, chat/sla) asked in the period, how many
  were answered by the deadline, and how many are overdue (answered late or still open past it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from chat.sla.models import Question
from lessons.models import LessonRun
from proctor.models import ExamSession
from server.accounts.models import User

from .periods import Period


@dataclass(frozen=True)
class TeacherRow:
    teacher: User
    lessons_held: int
    attendance_taken: int
    exams_reviewed: int
    questions: int
    answered_in_time: int
    overdue: int


def teachers_activity(staff: QuerySet[User], period: Period, now: dt.datetime) -> list[TeacherRow]:
    rows = []
    for teacher in staff.order_by("last_name", "first_name", "username"):
        runs = LessonRun.objects.filter(
            lesson__teacher=teacher, starts_at__gte=period.since, starts_at__lt=period.until
        )
        questions = list(
            Question.objects.filter(curator=teacher, asked_at__gte=period.since, asked_at__lt=period.until)
        )
        rows.append(
            TeacherRow(
                teacher=teacher,
                lessons_held=runs.count(),
                attendance_taken=runs.filter(ended_at__isnull=False).count(),
                exams_reviewed=ExamSession.objects.filter(
                    verdict_by=teacher, verdict_at__gte=period.since, verdict_at__lt=period.until
                ).count(),
                questions=len(questions),
                answered_in_time=sum(1 for q in questions if q.answered_at is not None and q.answered_at <= q.due_at),
                overdue=sum(1 for q in questions if (q.answered_at or now) > q.due_at),
            )
        )
    return rows
