"""Issue 11.4: a student never loses an exam to a dropped connection.

A disconnect before the attempt runs ends nothing; during the attempt the session stays resumable until the
exam's own time is up, and a gap longer than ``PROCTOR_RESUME_GRACE_SECONDS`` is a ``camera_lost`` episode for
the proctor to judge; the student sees why and until when; a proctor may reopen an ended session (audited,
heard on the dashboard), after which the student comes back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from proctor import actions
from proctor.dashboard_socket import DashboardConsumer
from proctor.media.exam_socket import ExamSessionConsumer
from proctor.models import Episode, Exam, ExamSession
from server.accounts.models import AuditEvent
from server.school.models import StudyGroup

HEARD_WITHIN = 10.0
LONG_GAP = timedelta(minutes=5)  # far past the 60 s grace period, well within the exam's 40 minutes


def make_session(school: dict, state: str = "running", started_ago: timedelta | None = timedelta(0)) -> ExamSession:
    """A 40-minute exam of 9А (proctor assigned), open for two more hours; the student's session got its tasks
    ``started_ago`` (None: not started)."""
    now = timezone.now()
    exam = Exam.objects.create(
        title="История",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=50),
        closes_at=now + timedelta(hours=2),
        duration_minutes=40,
        created_by=school["teacher"],
    )
    exam.proctors.add(school["proctor"])
    started = None if started_ago is None else now - started_ago
    identity = "pending" if started is None else "admitted"
    return ExamSession.objects.create(
        exam=exam, student=school["student"], state=state, identity=identity, started_at=started, released_at=started
    )


def leave(session: ExamSession) -> None:
    """The student's socket connects and goes away (a closed tab, a sleeping laptop, a Wi-Fi drop)."""
    _, epoch = actions.connect(session.pk, session.student_id)
    actions.disconnect(session.pk, epoch)


def check_later(session: ExamSession, after: timedelta) -> ExamSession:
    session = ExamSession.objects.select_related("exam", "student").get(pk=session.pk)
    return actions.expire_if_due(session, now=session.disconnected_at + after)


def camera_lost(session: ExamSession) -> list[Episode]:
    return list(Episode.objects.filter(session=session, kind="camera_lost"))


def test_a_disconnect_before_the_attempt_runs_ends_nothing(school):
    session = make_session(school, state="waiting_check", started_ago=None)
    leave(session)
    later = check_later(session, LONG_GAP)
    assert (later.state, later.end_reason) == ("paused", "")
    assert camera_lost(session) == []
    actions.connect(session.pk, session.student_id)  # back: the same session goes on
    session.refresh_from_db()
    assert session.state == "waiting_check"


def test_a_gap_past_the_grace_period_is_camera_lost_and_the_attempt_resumes(school):
    session = make_session(school, started_ago=timedelta(minutes=5))
    leave(session)
    later = check_later(session, LONG_GAP)
    assert (later.state, later.end_reason) == ("paused", "")
    [gap] = camera_lost(session)
    assert (gap.started_at, gap.ended_at) == (later.disconnected_at, None)

    summary, _ = actions.connect(session.pk, session.student_id)
    assert summary["state"] == "waiting_check"  # back through the camera check ...
    assert actions.media_ready(session.pk)["state"] == "running"  # ... into the same attempt
    gap.refresh_from_db()
    assert gap.ended_at is not None
    assert len(camera_lost(session)) == 1


def test_a_gap_within_the_grace_period_is_no_episode(school):
    session = make_session(school)
    leave(session)
    assert check_later(session, timedelta(seconds=30)).state == "paused"
    assert camera_lost(session) == []


def test_the_session_ends_when_the_exams_time_is_up_while_away(school):
    session = make_session(school, started_ago=timedelta(minutes=30))
    leave(session)
    later = check_later(session, timedelta(minutes=11))  # 41 minutes since the tasks were released
    assert (later.state, later.end_reason) == ("ended", "camera_lost")


def test_the_student_sees_why_and_until_when(school, client_for):
    session = make_session(school, started_ago=timedelta(minutes=10))
    leave(session)
    session.refresh_from_db()
    until = timezone.localtime(session.released_at + timedelta(minutes=40)).strftime("%H:%M")
    student = client_for(school["student"])
    listing = student.get("/proctor/").content.decode()
    assert f"прервано — можно продолжить до {until}" in listing
    page = student.get(f"/proctor/exams/{session.exam_id}/take/").content.decode()
    assert f"Связь прерывалась. Экзамен можно продолжить до {until}." in page


def dashboard_socket(session: ExamSession, proctor) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(DashboardConsumer.as_asgi(), f"/ws/proctor/exams/{session.exam_id}/")
    socket.scope["user"] = proctor
    socket.scope["url_route"] = {"kwargs": {"exam_id": session.exam_id}}
    return socket


@pytest.mark.django_db(transaction=True)
async def test_a_proctor_reopens_an_ended_session_audited_heard_and_the_student_comes_back(school, settings):
    settings.RTC_MEDIA_EMBEDDED = False  # the student's socket messages to the media worker just wait
    session = await database_sync_to_async(make_session)(school, started_ago=timedelta(minutes=10))
    await database_sync_to_async(actions.end_session)(session.pk, "logout", school["student"])
    ended = await ExamSession.objects.select_related("exam").aget(pk=session.pk)
    time_left = ended.deadline - ended.ended_at

    dashboard = dashboard_socket(session, school["proctor"])
    assert (await dashboard.connect())[0]
    assert (await dashboard.receive_json_from(HEARD_WITHIN))["type"] == "snapshot"
    await dashboard.send_json_to({"type": "reopen", "session": session.pk})
    heard = await dashboard.receive_json_from(HEARD_WITHIN)
    assert (heard["type"], heard["session"], heard["state"], heard["end_reason"]) == (
        "session.updated",
        session.pk,
        "paused",
        "",
    )
    reopened = await ExamSession.objects.select_related("exam").aget(pk=session.pk)
    assert reopened.deadline - timezone.now() == pytest.approx(time_left, abs=timedelta(seconds=5))
    event = await AuditEvent.objects.select_related("actor", "subject").aget(kind="proctor.session_reopened")
    assert (event.actor, event.subject, event.details) == (
        school["proctor"],
        school["student"],
        {"session": session.pk, "reason": "logout"},
    )

    student = WebsocketCommunicator(ExamSessionConsumer.as_asgi(), f"/ws/rtc/sessions/{session.pk}/")
    student.scope["user"] = school["student"]
    student.scope["url_route"] = {"kwargs": {"session_id": session.pk}}
    assert (await student.connect())[0]
    assert (await student.receive_json_from(HEARD_WITHIN))["state"] == "waiting_check"  # resumed, not refused

    await dashboard.send_json_to({"type": "reopen", "session": session.pk})  # it is no longer ended
    while (frame := await dashboard.receive_json_from(HEARD_WITHIN))["type"] != "error":
        pass
    assert frame == {"type": "error", "error": "not_reopenable", "detail": "the session has not ended"}
    await student.disconnect()
    await dashboard.disconnect()


def test_a_session_whose_time_is_up_is_not_reopened(school):
    session = make_session(school, started_ago=timedelta(minutes=45))
    actions.expire_if_due(ExamSession.objects.select_related("exam").get(pk=session.pk))
    with pytest.raises(actions.NotReopenable):
        actions.reopen(session.pk, school["proctor"])
    session.refresh_from_db()
    assert (session.state, session.end_reason) == ("ended", "timeout")


def test_the_list_says_an_interrupted_session_whose_time_ran_out_has_ended(school, client_for):
    session = make_session(school, started_ago=timedelta(minutes=39))
    leave(session)
    ExamSession.objects.filter(pk=session.pk).update(released_at=timezone.now() - timedelta(minutes=41))
    listing = client_for(school["student"]).get("/proctor/").content.decode()
    assert "завершён: камера не вернулась" in listing
    assert "можно продолжить" not in listing
