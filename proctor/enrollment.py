"""Enrollment of a student's reference photo, consent bookkeeping and the retention purge.

Order of things, enforced here: a consent record first (:func:`record_consent`), then the
photo through the quality gate (:func:`enroll`), which stores a clean JPEG (EXIF and other
metadata dropped) and the embedding, replacing any earlier reference of the student.
Withdrawing consent deletes the student's biometric data at once; :func:`purge` (run by
``manage.py purge_biometrics``, e.g. daily) also deletes whatever outlived
``BIOMETRIC_RETENTION_DAYS``. Audit entries say *that* something happened, never the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from server.accounts import audit
from server.accounts.models import User
from server.retention import retention_period

from .models import BiometricConsent, ReferencePhoto
from .quality import Verdict, assess_file
from .vision import identity
from .vision.frames import encode_jpeg

CONSENT_TEXT_VERSION = "2026-11"  # bump when the consent text shown to students changes


class ConsentRequired(PermissionError):
    """Biometric processing was requested for a student without an active consent."""


def has_consent(student: User) -> bool:
    return BiometricConsent.objects.active().filter(student=student).exists()


def record_consent(
    student: User, text_version: str = CONSENT_TEXT_VERSION, request: HttpRequest | None = None
) -> BiometricConsent:
    consent = BiometricConsent.objects.create(student=student, text_version=text_version, ip=audit.client_ip(request))
    audit.record("proctor.biometric_consent", actor=student, subject=student, request=request, version=text_version)
    return consent


def withdraw_consent(student: User, request: HttpRequest | None = None) -> int:
    """Withdraw every active consent of the student and delete their biometric data now.

    Returns how many reference photos were deleted.
    """
    with transaction.atomic():
        BiometricConsent.objects.active().filter(student=student).update(withdrawn_at=timezone.now())
        deleted = _delete_photos(ReferencePhoto.objects.filter(student=student))
    audit.record("proctor.biometric_consent_withdrawn", actor=student, subject=student, request=request)
    return deleted


@dataclass(frozen=True)
class Enrollment:
    verdict: Verdict
    photo: ReferencePhoto | None  # None when the gate refused the photo


def enroll(
    student: User,
    source: bytes | Path | str,
    uploaded_by: User | None = None,
    request: HttpRequest | None = None,
) -> Enrollment:
    """Run a photo through the quality gate and, if it passes, make it the student's reference.

    Raises :class:`ConsentRequired` before looking at the photo when there is no active
    consent, and ``proctor.vision.frames.InputError`` for files that are not usable images.
    """
    if not has_consent(student):
        raise ConsentRequired(f"no active biometric consent for user {student.pk}")
    verdict = assess_file(source)
    if not verdict.ok:
        return Enrollment(verdict, None)
    assert verdict.embedding is not None  # a passing verdict carries the embedding
    with transaction.atomic():
        _delete_photos(ReferencePhoto.objects.select_for_update().filter(student=student))
        photo = ReferencePhoto(
            student=student,
            embedding=identity.to_bytes(verdict.embedding),
            quality=verdict.metrics,
            uploaded_by=uploaded_by,
        )
        photo.image.save("reference.jpg", ContentFile(encode_jpeg(verdict.image, quality=92)), save=False)
        photo.save()
    audit.record("proctor.reference_photo", actor=uploaded_by, subject=student, request=request)
    return Enrollment(verdict, photo)


def reference_embedding(student: User) -> np.ndarray | None:
    """The student's current reference embedding, or None (no photo, or no active consent)."""
    if not has_consent(student):
        return None
    photo = ReferencePhoto.objects.filter(student=student).order_by("-created_at").first()
    return identity.from_bytes(bytes(photo.embedding)) if photo else None


@dataclass(frozen=True)
class PurgeReport:
    withdrawn: int  # photos deleted because consent was withdrawn (or never given)
    expired: int  # photos deleted because they outlived the retention period


def purge(now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete reference photos (rows, embeddings and files) that may no longer be kept."""
    now = now or timezone.now()
    consented = BiometricConsent.objects.active().values("student")
    without_consent = ReferencePhoto.objects.exclude(student__in=consented)
    expired = ReferencePhoto.objects.filter(
        student__in=consented, created_at__lt=now - retention_period("BIOMETRIC_RETENTION_DAYS")
    )
    if dry_run:
        return PurgeReport(without_consent.count(), expired.count())
    report = PurgeReport(_delete_photos(without_consent), _delete_photos(expired))
    if report.withdrawn or report.expired:
        audit.record("proctor.biometrics_purged", withdrawn=report.withdrawn, expired=report.expired)
    return report


def _delete_photos(photos: QuerySet[ReferencePhoto]) -> int:
    """Delete rows one by one so the post_delete handler removes each file."""
    count = 0
    for photo in list(photos):
        photo.delete()
        count += 1
    return count
