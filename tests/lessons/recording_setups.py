"""Set-ups for the lesson-recording tests, run in the live server's database (``live_env.call``)."""

from __future__ import annotations


def ready_recording(group: str, teacher: str, size: int) -> str:
    """A ready recording of a lesson of ``group`` held yesterday whose ``lesson.webm`` is a sparse file of ``size``
    zero bytes (no disk used, read at memory speed); the recording's folder."""
    from datetime import timedelta

    from django.utils import timezone

    from lessons import recordings
    from lessons.models import Lesson, LessonRun, Recording
    from server.accounts.models import User
    from server.school.models import StudyGroup

    starts = timezone.now() - timedelta(days=1)
    lesson = Lesson.objects.create(
        title="Запись",
        group=StudyGroup.objects.get(name=group),
        teacher=User.objects.get(username=teacher),
        starts_at=starts,
    )
    run = LessonRun.objects.create(lesson=lesson, starts_at=starts, ended_at=starts + timedelta(minutes=45))
    recording = Recording.objects.create(run=run, started_at=starts, stopped_at=run.ended_at, status="ready")
    folder = recordings.media_dir(recording)
    folder.mkdir(parents=True)
    with (folder / recordings.LESSON_FILE).open("wb") as file:
        file.truncate(size)
    return recording.folder
