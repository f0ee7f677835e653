"""Set-ups of the LTI browser tests, run in the live server's database (``live_env.call``)."""

from __future__ import annotations

from typing import Any


def register_platform(registration: dict[str, Any]) -> int:
    from lti.models import Deployment, Platform

    data = dict(registration)
    deployment = data.pop("deployment_id")
    platform = Platform.objects.create(name="Moodle " + data["client_id"], **data)
    Deployment.objects.create(platform=platform, deployment_id=deployment)
    return platform.pk


def placed_exam(token: str) -> dict[str, Any]:
    from lti.models import Placement

    placement = Placement.objects.select_related("exam").get(token=token)
    exam = placement.exam
    assert exam is not None
    return {"exam": exam.pk, "title": exam.title, "lms_url": exam.lms_url, "group": exam.group.name}


def end_sessions_of(exam: int) -> list[int]:
    """End every session of the exam (as if the students submitted); their ids."""
    from proctor import actions
    from proctor.models import ExamSession

    ids = list(ExamSession.objects.filter(exam=exam).values_list("pk", flat=True))
    for session in ids:
        actions.end_session(session, ExamSession.EndReason.SUBMITTED)
    return ids
