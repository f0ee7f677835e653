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

    The group's row is locked while the period is checked and the reason written, so a period closed at
    the same moment either sees the reason or refuses it. The refusal is audited after the transaction,
    so raising does not roll its record back.
    """
    with transaction.atomic():
        _lock(run.lesson.group)
        closed = closed_period_of(run.lesson.group, run)
        if closed is None:
            return _write_reason(actor, run, student, reason, note)
    audit.record("reports.edit_refused", actor=actor, subject=student, run=run.pk, closed_period=closed.pk)
    raise PeriodClosed


def _lock(group: StudyGroup) -> None:
    StudyGroup.objects.select_for_update().only("pk").get(pk=group.pk)


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
    _lock(group)
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
