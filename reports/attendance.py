"""Attendance over a period (week, month, term) per group and per student, with the curator's absence reasons.

Each held lesson's sheet comes from lessons/attendance.py (who was there, late, minutes with the page open
and with media; students who joined the group later are not on it); this module adds them up over the
period and joins the reasons a curator entered for absences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from lessons.attendance import AttendanceRow, sheet
from lessons.models import LessonRun
from server.accounts.models import User
from server.school.models import StudyGroup

from .models import AbsenceReason, ClosedPeriod
from .periods import Period


@dataclass(frozen=True)
class LessonMark:
    """One student at one held lesson."""

    run: LessonRun
    row: AttendanceRow
    reason: AbsenceReason | None


@dataclass
class StudentTotals:
    student: User
    lessons: int = 0
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0  # absences with a reason other than «без уважительной причины»
    minutes: float = 0.0
    minutes_with_media: float = 0.0
    marks: list[LessonMark] = field(default_factory=list)

    def add(self, mark: LessonMark) -> None:
        self.marks.append(mark)
        self.lessons += 1
        status = mark.row.status
        if status == "absent":
            self.absent += 1
            self.excused += 1 if mark.reason is not None and mark.reason.excused else 0
        else:
            self.present += 1
            self.late += 1 if status == "late" else 0
        self.minutes = round(self.minutes + mark.row.minutes_present, 1)
        self.minutes_with_media = round(self.minutes_with_media + mark.row.minutes_with_media, 1)


def held_runs(groups: list[StudyGroup], period: Period) -> list[LessonRun]:
    return list(
        LessonRun.objects.filter(
            lesson__group__in=groups, starts_at__gte=period.since, starts_at__lt=period.until
        ).select_related("lesson__group", "lesson__teacher")
    )


def marks(runs: list[LessonRun], students: set[int] | None = None) -> list[LessonMark]:
    """Every (run, student) mark of these runs, for all students or only the given ones."""
    reasons = {(r.run_id, r.student_id): r for r in AbsenceReason.objects.filter(run__in=runs).select_related("set_by")}
    found = []
    for run in sorted(runs, key=lambda r: r.starts_at):
        for row in sheet(run):
            if students is None or row.student.pk in students:
                found.append(LessonMark(run, row, reasons.get((run.pk, row.student.pk))))
    return found


def group_totals(group: StudyGroup, period: Period) -> list[StudentTotals]:
    """Per student of the group's held lessons in the period, sorted by name."""
    totals: dict[int, StudentTotals] = {}
    for mark in marks(held_runs([group], period)):
        totals.setdefault(mark.row.student.pk, StudentTotals(mark.row.student)).add(mark)
    return sorted(totals.values(), key=lambda t: (t.student.last_name, t.student.first_name, t.student.username))


def student_totals(student: User, period: Period) -> StudentTotals:
    """One student's lessons in the period, in the groups they are in now."""
    totals = StudentTotals(student)
    for mark in marks(held_runs(list(student.study_groups.all()), period), {student.pk}):
        totals.add(mark)
    return totals


def closed_period_of(group: StudyGroup, run: LessonRun) -> ClosedPeriod | None:
    """The closed period that holds this lesson's date for the group, if any."""
    day = timezone.localdate(run.starts_at)
    return ClosedPeriod.objects.filter(group=group, starts_on__lte=day, ends_on__gte=day).first()


def closed_periods(group: StudyGroup, period: Period) -> list[ClosedPeriod]:
    return list(ClosedPeriod.objects.filter(group=group, starts_on__lte=period.last_day, ends_on__gte=period.first_day))
