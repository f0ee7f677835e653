"""Set-ups for the backup and restore test (run in a LiveEnvironment's process: ``live.call(...)``)."""

from __future__ import annotations

# Bytes of an evidence snapshot and a reference photo: what matters is that they come back byte for byte.
EVIDENCE_BYTES = bytes(range(256)) * 40
PHOTO_BYTES = b"\xff\xd8\xff\xe0reference" + bytes(range(255, -1, -1)) * 20


def school_to_back_up() -> dict[str, object]:
    """Chat history, an ended exam session with an evidence snapshot, a reference photo and a held lesson's
    attendance, in the demo school; the ids a test needs to read them back."""
    from datetime import timedelta
    from pathlib import Path

    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from chat.actions import post_message
    from chat.rooms import open_direct
    from lessons.models import Lesson, LessonRun, Participant, Presence
    from proctor.models import BiometricConsent, Episode, Exam, ExamSession, ReferencePhoto
    from server.accounts.models import User
    from server.school.models import StudyGroup

    users = {user.username: user for user in User.objects.all()}
    room = open_direct(users["teacher"], users["student"])
    for number, text in enumerate(["Здравствуйте!", "Домашнее задание — §12", "Спасибо 🙂"], start=1):
        post_message(users["teacher"] if number % 2 else users["student"], room.pk, f"b{number}", text)

    now = timezone.now()
    group = StudyGroup.objects.get(name="9А")
    exam = Exam.objects.create(
        title="Физика", group=group, opens_at=now - timedelta(hours=2), closes_at=now - timedelta(hours=1)
    )
    exam.proctors.add(users["proctor"])
    session = ExamSession.objects.create(exam=exam, student=users["student"])
    evidence = Path(settings.MEDIA_ROOT) / "evidence" / "backup-test.jpg"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_bytes(EVIDENCE_BYTES)
    episode = Episode.objects.create(
        session=session, kind="looking_away", started_at=now - timedelta(hours=1), evidence="evidence/backup-test.jpg"
    )
    BiometricConsent.objects.create(student=users["student"], given_by=users["parent"], text_version="test")
    photo = ReferencePhoto(student=users["student"], embedding=b"\x00" * 512, uploaded_by=users["admin"])
    photo.image.save("photo.jpg", ContentFile(PHOTO_BYTES), save=True)

    start = now - timedelta(days=1)
    lesson = Lesson.objects.create(title="Алгебра", group=group, teacher=users["teacher"], starts_at=start)
    run = LessonRun.objects.create(lesson=lesson, starts_at=start, ended_at=start + lesson.duration)
    participant = Participant.objects.create(run=run, user=users["student"], role="student")
    Presence.objects.create(participant=participant, joined_at=start, left_at=start + timedelta(minutes=30))
    return {"room": room.pk, "evidence": episode.evidence_token, "run": run.pk, "session": session.pk}
