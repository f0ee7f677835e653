"""Retention never means "delete everything now", and evidence of sessions not yet reviewed is kept."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from chat.attachments.models import Attachment
from chat.models import Room
from chat.rooms import ensure_room
from proctor import enrollment
from proctor.models import Episode, ExamSession, ReferencePhoto
from tests.support.paths import REPO_ROOT


def snapshot(session: ExamSession, media_root, days_old: int) -> Episode:
    episode = Episode.objects.create(
        session=session, kind="no_face", started_at=timezone.now() - timedelta(days=days_old)
    )
    path = media_root / "evidence" / str(session.pk) / f"{episode.evidence_token}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    episode.evidence = str(path.relative_to(media_root))
    episode.save()
    return episode


@pytest.mark.parametrize("setting", ["PROCTOR_EVIDENCE_RETENTION_DAYS", "BIOMETRIC_RETENTION_DAYS"])
def test_a_retention_of_zero_days_stops_the_start(setting):
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "server.settings", setting: "0"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert f"{setting} must be a whole number ≥ 1 (got '0')" in started.stderr


def test_zero_days_reaching_the_purges_deletes_nothing(world, settings, media_root):
    world["session"].verdict = ExamSession.Verdict.CLEAN
    world["session"].save()
    evidence = media_root / world["episode"].evidence
    student = world["users"]["student"]
    enrollment.record_consent(student)
    photo = ReferencePhoto(student=student, embedding=b"\0" * 512)
    photo.image.save("reference.jpg", ContentFile(b"\xff\xd8\xff\xe0 jpeg"))
    settings.PROCTOR_EVIDENCE_RETENTION_DAYS = 0
    settings.BIOMETRIC_RETENTION_DAYS = 0
    with pytest.raises(ImproperlyConfigured, match="PROCTOR_EVIDENCE_RETENTION_DAYS"):
        call_command("purge_evidence")
    with pytest.raises(ImproperlyConfigured, match="BIOMETRIC_RETENTION_DAYS"):
        call_command("purge_biometrics")
    assert evidence.exists()
    assert (media_root / photo.image.name).exists()


def test_evidence_of_a_session_not_yet_reviewed_is_never_purged(world, settings, media_root):
    unreviewed = snapshot(world["session"], media_root, days_old=400)
    other = ExamSession.objects.create(
        exam=world["exam"], student=world["users"]["student2"], state="ended", verdict=ExamSession.Verdict.WARNING
    )
    reviewed = snapshot(other, media_root, days_old=91)
    fresh = snapshot(other, media_root, days_old=1)

    call_command("purge_evidence")
    assert [(e.pk, bool(e.evidence)) for e in Episode.objects.order_by("pk")] == [
        (world["episode"].pk, True),
        (unreviewed.pk, True),
        (reviewed.pk, False),
        (fresh.pk, True),
    ]
    assert (media_root / unreviewed.evidence).exists()
    assert not list((media_root / "evidence" / str(other.pk)).glob(f"{reviewed.evidence_token}*"))


def test_purging_unsent_uploads_refuses_zero_hours(school):
    room = ensure_room(Room.Kind.GROUP, "purge", "9А", [school["student"]])
    Attachment.objects.create(
        room=room, uploader=school["student"], kind="file", mime="text/plain", name="a.txt", size=1, stored_as="x"
    )
    with pytest.raises(CommandError, match="--hours must be at least 1"):
        call_command("chat_purge_uploads", "--hours", "0")
    assert Attachment.objects.count() == 1
