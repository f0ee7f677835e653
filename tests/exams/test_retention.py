"""Evidence past its retention period is purged (rows stay, files go); a student can download what is held."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from proctor.models import Episode, ExamSession


def test_purge_evidence_deletes_old_snapshots_only(world, settings):
    old = world["episode"]
    path = settings.MEDIA_ROOT / old.evidence
    fresh = Episode.objects.create(session=world["session"], kind="no_face", started_at=timezone.now())
    fresh_path = path.with_name(f"{fresh.evidence_token}.jpg")
    fresh_path.write_bytes(b"jpeg")
    fresh.evidence = str(fresh_path.relative_to(settings.MEDIA_ROOT))
    fresh.save()
    Episode.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(days=91))
    ExamSession.objects.filter(pk=world["session"].pk).update(verdict=ExamSession.Verdict.CLEAN)  # reviewed

    call_command("purge_evidence", "--dry-run")
    assert path.exists()
    call_command("purge_evidence")
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not path.exists()
    assert old.evidence == ""
    assert fresh_path.exists()
    assert fresh.evidence


def test_student_downloads_own_proctoring_data_with_episodes_only_after_review(world, client_for):
    student = client_for(world["users"]["student"])
    pending = student.get("/proctor/my-data.json")
    assert pending.status_code == 200
    data = pending.json()
    assert data["student"] == "student"
    [session] = data["exam_sessions"]
    assert (session["exam"], session["state"], session["reviewed"], session["episodes"]) == (
        "Физика",
        "ended",
        False,
        [],
    )

    running = ExamSession.objects.create(exam=world["exam"], student=world["users"]["student2"], state="running")
    Episode.objects.create(session=running, kind="no_face", started_at=timezone.now())  # live, during the exam
    live = client_for(world["users"]["student2"]).get("/proctor/my-data.json").json()
    assert [(s["state"], s["episodes"]) for s in live["exam_sessions"]] == [("running", [])]

    ExamSession.objects.filter(pk=world["session"].pk).update(verdict=ExamSession.Verdict.WARNING)
    [reviewed] = student.get("/proctor/my-data.json").json()["exam_sessions"]
    assert reviewed["reviewed"] is True
    assert [(e["kind"], e["evidence_snapshot_held"], e["review"]) for e in reviewed["episodes"]] == [
        ("multiple_faces", True, "pending")
    ]
