"""Enrollment of a student's reference photo, consent bookkeeping and the retention purge.

Order of things, enforced here: a consent record first (:func:`record_consent`, given by the student
or, for a student under 18 or of unknown age, by a linked parent: 152-FZ art. 9 and 11), then the photo
through the quality gate. A school's photo (staff upload, :func:`enroll`) replaces any earlier
reference; a student without any reference takes one from their live camera on the server
(:func:`store_capture`), which waits for a staff member's confirmation (:func:`confirm_reference`).
Both store a clean JPEG (EXIF and other metadata dropped) and the embedding. Withdrawing consent
deletes the student's biometric data at once; :func:`purge` (run by ``manage.py purge_biometrics``,
e.g. daily) also deletes whatever outlived ``BIOMETRIC_RETENTION_DAYS``. Audit entries say *that*
something happened and who did it, never the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
from server.school.models import ParentLink

from .models import BiometricConsent, ReferencePhoto
from .quality import Verdict, assess_file
from .vision import identity
from .vision.frames import encode_jpeg

CONSENT_TEXT_VERSION = "2026-12"  # bump when the consent text shown to students changes (2026-12: the recording)


ADULT_AGE = 18  # 152-FZ art. 9 and 11: for a minor, the legal representative (a linked parent) consents


class ConsentRequired(PermissionError):
    """Biometric processing was requested for a student without an active consent."""


class ReferenceExists(PermissionError):
    """A student tried to take a reference photo while one is on file: only staff replace a reference."""


def has_consent(student: User) -> bool:
    return BiometricConsent.objects.active().filter(student=student).exists()


def needs_parent_consent(student: User, today: date | None = None) -> bool:
    """Whether a parent must consent for this student: under 18, or the birth date is unknown.

    Unknown counts as a minor (the conservative reading): the school enters the birth date in the
    admin to let an adult student consent for themselves.
    """
    if student.birth_date is None:
        return True
    today = today or timezone.localdate()
    born = student.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < ADULT_AGE


def may_consent_for(giver: User, student: User) -> bool:
    """The student themselves when adult; a parent linked to the student (any age)."""
    if giver.pk == student.pk:
        return not needs_parent_consent(student)
    return ParentLink.objects.filter(parent=giver, child=student).exists()


def record_consent(
    student: User,
    given_by: User | None = None,
    text_version: str = CONSENT_TEXT_VERSION,
    request: HttpRequest | None = None,
) -> BiometricConsent:
    """Record a consent given by ``given_by`` (the student, a parent, or staff entering a signed paper form).

    Who may give it is the caller's check (:func:`may_consent_for`, or the admin's permission); every
    record is audited with the giver as actor.
    """
    consent = BiometricConsent.objects.create(
        student=student, given_by=given_by, text_version=text_version, ip=audit.client_ip(request)
    )
    audit.record(
        "proctor.biometric_consent",
        actor=given_by,
        subject=student,
        request=request,
        version=text_version,
        given_by=given_by.pk if given_by else None,
    )
    return consent


def withdraw_consent(student: User, actor: User | None = None, request: HttpRequest | None = None) -> int:
    """Withdraw every active consent of the student and delete their biometric data (rows and files) now.

    Returns how many reference photos were deleted.
    """
    with transaction.atomic():
        BiometricConsent.objects.active().filter(student=student).update(withdrawn_at=timezone.now())
        deleted = _delete_photos(ReferencePhoto.objects.filter(student=student))
    audit.record(
        "proctor.biometric_consent_withdrawn", actor=actor or student, subject=student, request=request, photos=deleted
    )
    return deleted


@dataclass(frozen=True)
class Enrollment:
    verdict: Verdict
    photo: ReferencePhoto | None  # None when the gate refused the photo


def require_consent(student: User) -> None:
    if not has_consent(student):
        raise ConsentRequired(f"no active biometric consent for user {student.pk}")


def enroll(
    student: User,
    source: bytes | Path | str,
    uploaded_by: User | None = None,
    request: HttpRequest | None = None,
) -> Enrollment:
    """The school's photo (staff upload, import): through the quality gate, replacing any earlier reference.

    Raises :class:`ConsentRequired` before looking at the photo when there is no active
    consent, and ``proctor.vision.frames.InputError`` for files that are not usable images.
    Blocking (the gate takes ~0.1-1 s of CPU): web requests call :func:`assess_file` off the
    request threads and then :func:`store_school_photo` (:mod:`proctor.reference_gate`).
    """
    require_consent(student)
    return store_school_photo(student, assess_file(source), uploaded_by, request)


def store_school_photo(
    student: User, verdict: Verdict, uploaded_by: User | None, request: HttpRequest | None = None
) -> Enrollment:
    """Make a gate verdict the student's confirmed reference (staff's word), replacing any earlier one."""
    if not verdict.ok:
        return Enrollment(verdict, None)
    with transaction.atomic():
        require_consent(student)  # again: consent may have been withdrawn while the gate ran
        _delete_photos(ReferencePhoto.objects.select_for_update().filter(student=student))
        photo = _save_photo(student, verdict, uploaded_by, needs_confirmation=False)
    audit.record("proctor.reference_photo", actor=uploaded_by, subject=student, request=request, source="school")
    return Enrollment(verdict, photo)


def store_capture(student: User, verdict: Verdict) -> Enrollment:
    """A reference the student took from their live camera (on the server): only when none is on file.

    It waits for a staff member's confirmation (:func:`confirm_reference`); until then it is used for the
    identity check like any other, and the dashboard shows it beside the live face.
    """
    with transaction.atomic():
        require_consent(student)
        if ReferencePhoto.objects.select_for_update().filter(student=student).exists():
            raise ReferenceExists(f"user {student.pk} already has a reference photo")
        if not verdict.ok:
            return Enrollment(verdict, None)
        photo = _save_photo(student, verdict, student, needs_confirmation=True)
    audit.record("proctor.reference_photo", actor=student, subject=student, source="camera")
    return Enrollment(verdict, photo)


def confirm_reference(photo: ReferencePhoto, staff: User, request: HttpRequest | None = None) -> None:
    """A staff member compared the student-taken reference with the student and confirms it (audited)."""
    ReferencePhoto.objects.filter(pk=photo.pk).update(needs_confirmation=False, confirmed_by=staff)
    audit.record("proctor.reference_confirmed", actor=staff, subject=photo.student, request=request, photo=photo.pk)


def _save_photo(student: User, verdict: Verdict, uploaded_by: User | None, needs_confirmation: bool) -> ReferencePhoto:
    assert verdict.embedding is not None  # a passing verdict carries the embedding
    photo = ReferencePhoto(
        student=student,
        embedding=identity.to_bytes(verdict.embedding),
        quality=verdict.metrics,
        uploaded_by=uploaded_by,
        needs_confirmation=needs_confirmation,
    )
    photo.image.save("reference.jpg", ContentFile(encode_jpeg(verdict.image, quality=92)), save=False)
    photo.save()
    return photo


def current_reference(student: User) -> ReferencePhoto | None:
    return ReferencePhoto.objects.filter(student=student).order_by("-created_at").first()


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
