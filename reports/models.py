"""What a curator adds to the computed attendance: absence reasons, and closed reporting periods.

Attendance itself is computed from the lesson's presence records (lessons/attendance.py); a curator
explains an absence (:class:`AbsenceReason`) and, once the period's report is handed in, closes the
period for the group (:class:`ClosedPeriod`): its absence reasons can no longer change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lessons.models import LessonRun
from server.school.models import StudyGroup


class AbsenceReason(models.Model):
    class Reason(models.TextChoices):
        ILLNESS = "illness", _("болезнь")
        FAMILY = "family", _("семейные обстоятельства")
        EXCUSED = "excused", _("уважительная, другая")
        UNEXCUSED = "unexcused", _("без уважительной причины")

    run = models.ForeignKey(LessonRun, verbose_name=_("урок"), on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ученик"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("причина"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("примечание"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("кто указал"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("когда"), auto_now=True)

    class Meta:
        verbose_name = _("причина отсутствия")
        verbose_name_plural = _("причины отсутствия")
        constraints = [models.UniqueConstraint(fields=["run", "student"], name="unique_absence_reason")]

    def __str__(self) -> str:
        return f"{self.student} @ {self.run}: {self.get_reason_display()}"

    @property
    def excused(self) -> bool:
        return self.reason != self.Reason.UNEXCUSED


class ClosedPeriod(models.Model):
    """A group's reporting period whose attendance is final (handed in): no more edits."""

    group = models.ForeignKey(StudyGroup, verbose_name=_("группа"), on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField(_("с"))
    ends_on = models.DateField(_("по"))  # inclusive
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("кто закрыл"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("когда закрыт"), auto_now_add=True)

    class Meta:
        verbose_name = _("закрытый период")
        verbose_name_plural = _("закрытые периоды")
        ordering = ["group", "starts_on"]

    def __str__(self) -> str:
        return f"{self.group}: {self.starts_on}–{self.ends_on}"
