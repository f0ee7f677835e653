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


def test_speech_clips_are_served_as_audio_to_those_who_may_see_them_and_purged_like_snapshots(
    world, settings, client_for
):
    clip = Episode.objects.create(session=world["session"], kind="speech", started_at=timezone.now(), peak=4.2)
    path = settings.MEDIA_ROOT / "evidence" / str(world["session"].pk) / f"{clip.evidence_token}.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    clip.evidence = str(path.relative_to(settings.MEDIA_ROOT))
    clip.save()
    url = f"/proctor/evidence/{clip.evidence_token}/"
    served = client_for(world["users"]["proctor"]).get(url)
    assert (served.status_code, served["Content-Type"], served["Cache-Control"]) == (
        200,
        "audio/wav",
        "private, no-store",
    )
    assert client_for(world["users"]["proctor2"]).get(url).status_code == 404  # not assigned to this exam
    page = client_for(world["users"]["proctor"]).get(f"/proctor/sessions/{world['session'].pk}/").content.decode()
    assert f'<audio class="evidence" controls preload="none" src="{url}"' in page

    Episode.objects.filter(pk=clip.pk).update(started_at=timezone.now() - timedelta(days=91))
    ExamSession.objects.filter(pk=world["session"].pk).update(verdict=ExamSession.Verdict.CLEAN)
    call_command("purge_evidence")
    clip.refresh_from_db()
    assert (clip.evidence, path.exists()) == ("", False)
