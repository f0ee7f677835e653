"""Biometric data of students: consent records and reference photos with their face embeddings.

Reference photos and embeddings are biometric personal data: they exist only while the
student's consent stands and for at most ``BIOMETRIC_RETENTION_DAYS`` (see
:func:`proctor.enrollment.purge`); files live under MEDIA_ROOT with non-guessable names and
are removed together with their rows. Nothing here is ever logged.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

REFERENCE_DIR = "biometrics/reference"


def reference_photo_path(instance: ReferencePhoto, filename: str) -> str:
    """A non-guessable name (192 random bits); the uploaded file name is not kept."""
    return f"{REFERENCE_DIR}/{secrets.token_urlsafe(24)}.jpg"


class BiometricConsentQuerySet(models.QuerySet):
    def active(self) -> BiometricConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class BiometricConsent(models.Model):
    """The student's consent to processing of their face for exam proctoring."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ученик"),
        on_delete=models.CASCADE,
        related_name="biometric_consents",
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("кто дал согласие"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Сам ученик, его родитель (ученик младше 18 лет) или сотрудник, внёсший бумажное согласие."),
    )
    given_at = models.DateTimeField(_("согласие дано"), default=timezone.now)
    text_version = models.CharField(_("версия текста согласия"), max_length=32)
    ip = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("согласие отозвано"), null=True, blank=True)

    objects = BiometricConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("согласие на биометрию")
        verbose_name_plural = _("согласия на биометрию")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.student} — {self.text_version}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ReferencePhoto(models.Model):
    """A photo that passed the quality gate, and the SFace embedding computed from it."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ученик"),
        on_delete=models.CASCADE,
        related_name="reference_photos",
    )
    image = models.FileField(_("фото"), upload_to=reference_photo_path, max_length=200)
    embedding = models.BinaryField(_("вектор лица"), editable=False)
    quality = models.JSONField(_("показатели качества"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("загрузил"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("загружено"), default=timezone.now)
    needs_confirmation = models.BooleanField(
        _("ждёт подтверждения"),
        default=False,
        help_text=_("Снято самим учеником с его камеры: сотрудник сверяет его с лицом ученика и подтверждает."),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("подтвердил"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("эталонное фото")
        verbose_name_plural = _("эталонные фото")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.student} — {self.created_at:%Y-%m-%d}"

    @property
    def from_school(self) -> bool:
        """Uploaded by staff (or a school import): only staff may replace it."""
        return self.uploaded_by_id != self.student_id


@receiver(post_delete, sender=ReferencePhoto)
def _delete_photo_file(sender: type[ReferencePhoto], instance: ReferencePhoto, **kwargs: object) -> None:
    """The file goes with its row, however the row is deleted (purge, cascade, admin)."""
    if instance.image:
        instance.image.delete(save=False)
