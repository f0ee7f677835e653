"""Enrollment of reference photos: consent first, the quality gate, storage, admin upload, purge."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from proctor import enrollment
from proctor.models import BiometricConsent, ReferencePhoto
from proctor.vision import identity
from proctor.vision.frames import InputError, load_image
from server.accounts.models import AuditEvent, Role, User, UserRole
from tests.support import paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def student() -> User:
    user = User.objects.create_user("pupil", password="x")
    UserRole.objects.create(user=user, role=Role.STUDENT)
    return user


def photo_bytes(relative: str = "faces/single/astronaut.png") -> bytes:
    return paths.testdata(relative).read_bytes()


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def test_no_biometric_processing_without_consent(student: User, media_root: Path) -> None:
    with pytest.raises(enrollment.ConsentRequired):
        enrollment.enroll(student, photo_bytes())
    assert not ReferencePhoto.objects.exists()
    assert stored_files(media_root) == []
    assert enrollment.reference_embedding(student) is None


def test_accepted_photo_is_stored_clean_under_a_random_name(student: User, media_root: Path) -> None:
    enrollment.record_consent(student, text_version="v1")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # metadata that must not be kept
    source = io.BytesIO()
    Image.open(paths.testdata("faces/single/astronaut.png")).convert("RGB").save(source, "JPEG", exif=exif.tobytes())

    result = enrollment.enroll(student, source.getvalue(), uploaded_by=student)

    assert result.verdict.ok
    photo = ReferencePhoto.objects.get(student=student)
    assert photo == result.photo
    [stored] = stored_files(media_root)
    assert stored.parent.name == "reference"
    assert len(stored.stem) >= 32  # token_urlsafe(24): 192 random bits
    assert "astronaut" not in stored.name
    assert Image.open(stored).getexif() == {}
    assert len(bytes(photo.embedding)) == 512
    assert photo.quality["face_px"] >= 80
    expected = identity.photo_embedding(load_image(photo_bytes(), max_side=1280))
    assert identity.similarity(enrollment.reference_embedding(student), expected) > 0.95


def test_rejected_photo_is_not_stored(student: User, media_root: Path) -> None:
    enrollment.record_consent(student)
    result = enrollment.enroll(student, photo_bytes("faces/multi/couple.jpg"))
    assert result.photo is None
    assert [issue.code for issue in result.verdict.issues] == ["multiple_faces"]
    assert not ReferencePhoto.objects.exists()
    assert stored_files(media_root) == []
    with pytest.raises(InputError):
        enrollment.enroll(student, b"definitely not a photo")


def test_a_new_reference_replaces_the_old_one_and_its_file(student: User, media_root: Path) -> None:
    enrollment.record_consent(student)
    first = enrollment.enroll(student, photo_bytes()).photo
    second = enrollment.enroll(student, photo_bytes("video/other_person/reference.jpg")).photo
    assert list(ReferencePhoto.objects.values_list("pk", flat=True)) == [second.pk]
    assert stored_files(media_root) == [Path(second.image.path)]
    assert first.image.name != second.image.name


def test_withdrawing_consent_deletes_the_biometric_data(student: User, media_root: Path) -> None:
    enrollment.record_consent(student)
    enrollment.enroll(student, photo_bytes())
    assert enrollment.withdraw_consent(student) == 1
    assert not ReferencePhoto.objects.exists()
    assert stored_files(media_root) == []
    assert not enrollment.has_consent(student)
    assert BiometricConsent.objects.get(student=student).withdrawn_at is not None
    with pytest.raises(enrollment.ConsentRequired):
        enrollment.enroll(student, photo_bytes())


def test_purge_removes_photos_without_consent_and_past_retention(settings, student: User, media_root: Path) -> None:
    settings.BIOMETRIC_RETENTION_DAYS = 30
    other = User.objects.create_user("other", password="x")
    for user in (student, other):
        enrollment.record_consent(user)
        enrollment.enroll(user, photo_bytes())
    ReferencePhoto.objects.filter(student=student).update(created_at=timezone.now() - timedelta(days=31))
    kept = ReferencePhoto.objects.get(student=other)
    # Consent withdrawn behind the engine's back (e.g. edited in the admin): the purge still catches it.
    BiometricConsent.objects.filter(student=other).update(withdrawn_at=timezone.now())

    assert enrollment.purge(dry_run=True) == enrollment.PurgeReport(withdrawn=1, expired=1)
    assert ReferencePhoto.objects.count() == 2
    out = io.StringIO()
    call_command("purge_biometrics", stdout=out)
    assert "deleted: 1 reference photo(s) without consent, 1 older than 30 days" in out.getvalue()
    assert not ReferencePhoto.objects.exists()
    assert stored_files(media_root) == []
    assert kept.image.name not in [str(p) for p in stored_files(media_root)]
    assert AuditEvent.objects.filter(kind="proctor.biometrics_purged").exists()


def test_biometric_data_stays_out_of_logs_and_audit(student: User, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    enrollment.record_consent(student)
    photo = enrollment.enroll(student, photo_bytes()).photo
    embedding = np.frombuffer(bytes(photo.embedding), "<f4")
    logged = caplog.text + "".join(str(e.details) for e in AuditEvent.objects.all())
    assert f"{embedding[0]:.4f}" not in logged
    assert photo.image.name not in logged
    assert set(AuditEvent.objects.filter(kind__startswith="proctor.").values_list("kind", flat=True)) == {
        "proctor.biometric_consent",
        "proctor.reference_photo",
    }


def test_admin_upload_goes_through_consent_and_the_quality_gate(client, student: User, media_root: Path) -> None:
    admin = User.objects.create_superuser("admin", password="x")
    client.force_login(admin)
    url = "/admin/proctor/referencephoto/add/"

    def upload(name: str, data: bytes):
        return client.post(url, {"student": student.pk, "photo": _file(name, data)})

    response = upload("me.jpg", photo_bytes())
    assert response.status_code == 200
    assert "нет действующего согласия" in response.content.decode()

    enrollment.record_consent(student)
    response = upload("group.jpg", photo_bytes("faces/multi/couple.jpg"))
    assert response.status_code == 200
    assert "На фото больше одного лица" in response.content.decode()
    response = upload("notes.txt", b"hello")
    assert "не является изображением" in response.content.decode()
    assert not ReferencePhoto.objects.exists()

    response = upload("me.png", photo_bytes())
    assert response.status_code == 302
    photo = ReferencePhoto.objects.get(student=student)
    assert photo.uploaded_by == admin
    assert len(stored_files(media_root)) == 1
    for page in (
        "/admin/proctor/referencephoto/",
        f"/admin/proctor/referencephoto/{photo.pk}/change/",
        "/admin/proctor/biometricconsent/",
    ):
        response = client.get(page)
        assert response.status_code == 200
        assert bytes(photo.embedding)[:16].hex() not in response.content.decode()
    assert "Эталонные фото" in client.get("/admin/proctor/").content.decode()


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
