"""The two writes of the reports: an absence reason, and closing a period. Both are audited.

A closed period is final: an absence reason for a lesson inside it is refused (:class:`PeriodClosed`),
and the refusal is audited too, so a handed-in report cannot silently change afterwards.
"""

from __future__ import annotations

from django.db import transaction

from lessons.models import LessonRun
from server.accounts import audit
from server.accounts.models import User
from server.school.models import StudyGroup

from .attendance import closed_period_of
from .models import AbsenceReason, ClosedPeriod
from .periods import Period


class PeriodClosed(Exception):
    """The lesson lies in a period already closed for its group."""


def set_absence_reason(actor: User, run: LessonRun, student: User, reason: str, note: str) -> AbsenceReason | None:
    """Record (or with an empty ``reason`` clear) why a student missed a lesson; refused in a closed period.

    The refusal is audited outside any transaction, so raising does not roll its record back.
    """
    closed = closed_period_of(run.lesson.group, run)
    if closed is not None:
        audit.record("reports.edit_refused", actor=actor, subject=student, run=run.pk, closed_period=closed.pk)
        raise PeriodClosed
    with transaction.atomic():
        return _write_reason(actor, run, student, reason, note)


def _write_reason(actor: User, run: LessonRun, student: User, reason: str, note: str) -> AbsenceReason | None:
    if not reason:
        AbsenceReason.objects.filter(run=run, student=student).delete()
        audit.record("reports.absence_reason_cleared", actor=actor, subject=student, run=run.pk)
        return None
    entry, _ = AbsenceReason.objects.update_or_create(
        run=run, student=student, defaults={"reason": reason, "note": note, "set_by": actor}
    )
    audit.record("reports.absence_reason_set", actor=actor, subject=student, run=run.pk, reason=reason)
    return entry


@transaction.atomic
def close_period(actor: User, group: StudyGroup, period: Period) -> ClosedPeriod:
    """Close the group's period (idempotent: closing it again returns the existing record)."""
    existing = ClosedPeriod.objects.filter(group=group, starts_on=period.first_day, ends_on=period.last_day).first()
    if existing is not None:
        return existing
    closed = ClosedPeriod.objects.create(
        group=group, starts_on=period.first_day, ends_on=period.last_day, closed_by=actor
    )
    audit.record(
        "reports.period_closed",
        actor=actor,
        group=group.pk,
        starts_on=period.first_day.isoformat(),
        ends_on=period.last_day.isoformat(),
    )
    return closed
