"""School structure: study groups and parent-child links."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class StudyGroup(models.Model):
    """A class (e.g. «9А») or a course group with its curators, teachers and students."""

    class Kind(models.TextChoices):
        CLASS = "class", _("Класс")
        COURSE = "course", _("Учебная группа курса")

    name = models.CharField(_("название"), max_length=100, unique=True)
    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices, default=Kind.CLASS)
    curators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("кураторы"), related_name="curated_groups", blank=True
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("учителя"), related_name="taught_groups", blank=True
    )
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("ученики"), related_name="study_groups", blank=True
    )

    class Meta:
        verbose_name = _("учебная группа")
        verbose_name_plural = _("учебные группы")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ParentLink(models.Model):
    """«parent» is a legal representative of «child» (a child may have two, a parent several)."""

    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("родитель"),
        on_delete=models.CASCADE,
        related_name="child_links",
    )
    child = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ребёнок"),
        on_delete=models.CASCADE,
        related_name="parent_links",
    )

    class Meta:
        verbose_name = _("связь родитель — ребёнок")
        verbose_name_plural = _("связи родитель — ребёнок")
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="unique_parent_child")]

    def __str__(self) -> str:
        return f"{self.parent} → {self.child}"

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.child_id:
            raise ValidationError(_("Пользователь не может быть родителем самого себя."))


class Enrolment(models.Model):
    """When a student joined a group: attendance counts them absent only for lessons after that.

    Kept by a signal on ``StudyGroup.students`` (server/school/signals.py); a student whose membership
    predates this record has none and counts as a member from the start.
    """

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    added_at = models.DateTimeField(_("добавлен в группу"))

    class Meta:
        verbose_name = _("зачисление в группу")
        verbose_name_plural = _("зачисления в группы")
        constraints = [models.UniqueConstraint(fields=["group", "student"], name="unique_enrolment")]

    def __str__(self) -> str:
        return f"{self.student} → {self.group} ({self.added_at:%Y-%m-%d})"
