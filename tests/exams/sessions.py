"""Exam sessions made directly in the test database, in the state a test needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from proctor.models import Exam, ExamSession
from server.school.models import StudyGroup


def exam_session(
    school: dict[str, Any],
    state: str = "running",
    identity: str | None = None,
    started_ago: timedelta | None = timedelta(0),
    released: bool = True,
    minutes: int = 40,
    exam_fields: dict[str, Any] | None = None,
    **session_fields: Any,
) -> ExamSession:
    """The demo student's session of a ``minutes``-long exam of 9А (the demo proctor assigned), open for two more
    hours. It started ``started_ago`` (None: not yet) and, if ``released``, got its tasks then; its identity is
    ``identity``, by default admitted once started and pending before."""
    now = timezone.now()
    exam = Exam.objects.create(
        title="Алгебра",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=50),
        closes_at=now + timedelta(hours=2),
        duration_minutes=minutes,
        created_by=school["teacher"],
        **(exam_fields or {}),
    )
    exam.proctors.add(school["proctor"])
    started = None if started_ago is None else now - started_ago
    return ExamSession.objects.create(
        exam=exam,
        student=school["student"],
        state=state,
        identity=identity or ("pending" if started is None else "admitted"),
        started_at=started,
        released_at=started if released else None,
        **session_fields,
    )
