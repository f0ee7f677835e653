"""Every way an exam session ends reaches the proctors' dashboard (proctor.actions publish on commit).

In process: the real dashboard socket (a member of the exam's channel-layer group on the in-memory layer)
listens while the session is ended through each path — the student's socket, the proctor's dashboard, the
socket's deadline timer, a socket connecting after the deadline, the exam page over HTTP (the time limit passed,
running or interrupted), logging out, and the admin's action; and a gap after a disconnect, which ends nothing.
No media: the sockets' messages to the media worker just wait in the layer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import AsyncClient
from django.utils import timezone

from proctor import actions
from proctor.dashboard_socket import DashboardConsumer
from proctor.media.exam_socket import ExamSessionConsumer
from proctor.models import Exam, ExamSession
from server.accounts.models import User
from server.school.models import StudyGroup

pytestmark = pytest.mark.django_db(transaction=True)

EndReason = ExamSession.EndReason
HEARD_WITHIN = 10.0  # seconds: generous, the machine may be busy


@pytest.fixture(autouse=True)
def no_media(settings) -> None:
    settings.RTC_MEDIA_EMBEDDED = False


def make_session(school: dict, state: str = "running", started_ago: timedelta = timedelta(0), **fields) -> ExamSession:
    """A one-minute exam of group 9А with ``proctor`` assigned; the student's session started (and got its tasks)
    ``started_ago``."""
    now = timezone.now()
    exam = Exam.objects.create(
        title="Физика",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=30),
        closes_at=now + timedelta(hours=1),
        duration_minutes=1,
        created_by=school["teacher"],
    )
    exam.proctors.add(school["proctor"])
    return ExamSession.objects.create(
        exam=exam,
        student=school["student"],
        state=state,
        identity="admitted",
        started_at=now - started_ago,
        released_at=now - started_ago,
        **fields,
    )


async def session_of(school: dict, **kwargs) -> ExamSession:
    return await database_sync_to_async(make_session)(school, **kwargs)


@pytest.fixture
async def listen(school) -> AsyncIterator:
    """``await listen(session)``: the proctor's dashboard socket on the session's exam, past its snapshot."""
    sockets: list[WebsocketCommunicator] = []

    async def open_dashboard(session: ExamSession) -> WebsocketCommunicator:
        socket = WebsocketCommunicator(DashboardConsumer.as_asgi(), f"/ws/proctor/exams/{session.exam_id}/")
        socket.scope["user"] = school["proctor"]
        socket.scope["url_route"] = {"kwargs": {"exam_id": session.exam_id}}
        assert (await socket.connect())[0]
        sockets.append(socket)
        assert (await socket.receive_json_from(HEARD_WITHIN))["type"] == "snapshot"
        return socket

    yield open_dashboard
    for socket in sockets:
        await socket.disconnect()


def student_socket(session: ExamSession, student: User) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(ExamSessionConsumer.as_asgi(), f"/ws/rtc/sessions/{session.pk}/")
    socket.scope["user"] = student
    socket.scope["url_route"] = {"kwargs": {"session_id": session.pk}}
    return socket


async def next_update(dashboard: WebsocketCommunicator, session: ExamSession) -> dict:
    """The dashboard's next ``session.updated`` frame about the session (other frames are skipped)."""
    while True:
        frame = await dashboard.receive_json_from(HEARD_WITHIN)
        if frame["type"] == "session.updated" and frame["session"] == session.pk:
            return frame


async def heard_ended(dashboard: WebsocketCommunicator, session: ExamSession) -> str:
    """The end reason the dashboard heard (``session.updated`` frames before the end are skipped)."""
    while (frame := await next_update(dashboard, session))["state"] != "ended":
        pass
    stored = await ExamSession.objects.aget(pk=session.pk)
    assert (stored.state, stored.end_reason) == ("ended", frame["end_reason"])
    return frame["end_reason"]


async def logged_in_client(user: User) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user)
    return client


# --- the student's socket ---------------------------------------------------------------------


async def test_student_submitting_on_the_socket_is_heard(school, listen):
    session = await session_of(school)
    dashboard = await listen(session)
    student = student_socket(session, school["student"])
    assert (await student.connect())[0]
    assert (await student.receive_json_from(HEARD_WITHIN))["type"] == "session.state"
    await student.send_json_to({"type": "submit"})
    assert await student.receive_json_from(HEARD_WITHIN) == {"type": "session.ended", "reason": "submitted"}
    assert await heard_ended(dashboard, session) == EndReason.SUBMITTED
    await student.disconnect()


async def test_deadline_passing_while_the_socket_is_open_is_heard(school, listen):
    session = await session_of(school, started_ago=timedelta(seconds=59))  # one second of the minute left
    dashboard = await listen(session)
    student = student_socket(session, school["student"])
    assert (await student.connect())[0]
    assert await heard_ended(dashboard, session) == EndReason.TIMEOUT
    await student.disconnect()


async def test_socket_connecting_after_the_deadline_ends_the_session_and_is_heard(school, listen):
    session = await session_of(school, started_ago=timedelta(minutes=2))
    dashboard = await listen(session)
    student = student_socket(session, school["student"])
    assert (await student.connect())[0]
    assert await student.receive_json_from(HEARD_WITHIN) == {"type": "session.ended", "reason": "already_ended"}
    assert await heard_ended(dashboard, session) == EndReason.TIMEOUT
    await student.disconnect()


async def test_a_gap_longer_than_the_grace_period_is_heard_as_camera_lost_and_ends_nothing(school, listen, settings):
    settings.PROCTOR_RESUME_GRACE_SECONDS = 0.2
    session = await session_of(school)
    dashboard = await listen(session)
    student = student_socket(session, school["student"])
    assert (await student.connect())[0]
    await student.receive_json_from(HEARD_WITHIN)
    await student.disconnect()
    assert (await next_update(dashboard, session))["state"] == "running"  # the connect
    assert (await next_update(dashboard, session))["state"] == "paused"
    while (frame := await dashboard.receive_json_from(HEARD_WITHIN))["type"] != "episode.opened":
        pass
    assert (frame["episode"]["session"], frame["episode"]["kind"]) == (session.pk, "camera_lost")
    stored = await ExamSession.objects.aget(pk=session.pk)
    assert (stored.state, stored.end_reason) == ("paused", "")


# --- the proctor, the exam page, logging out, the admin ----------------------------------------


async def test_proctor_ending_from_the_dashboard_is_heard_and_closes_the_student_socket(school, listen):
    session = await session_of(school)
    dashboard = await listen(session)
    student = student_socket(session, school["student"])
    assert (await student.connect())[0]
    await student.receive_json_from(HEARD_WITHIN)
    await dashboard.send_json_to({"type": "end", "session": session.pk})
    assert await heard_ended(dashboard, session) == EndReason.PROCTOR
    assert await student.receive_json_from(HEARD_WITHIN) == {"type": "session.ended", "reason": "proctor"}
    await student.disconnect()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"started_ago": timedelta(minutes=2)}, EndReason.TIMEOUT),
        (
            {"started_ago": timedelta(minutes=2), "state": "paused", "disconnected_at": timezone.now()},
            EndReason.CAMERA_LOST,
        ),
    ],
    ids=["time-limit", "time-limit-while-away"],
)
async def test_exam_page_finding_the_session_overdue_is_heard(school, listen, fields, reason):
    session = await session_of(school, **fields)
    dashboard = await listen(session)
    client = await logged_in_client(school["student"])
    response = await client.get(f"/proctor/exams/{session.exam_id}/take/")
    assert response.status_code == 200
    assert await heard_ended(dashboard, session) == reason


async def test_logging_out_is_heard(school, listen):
    session = await session_of(school)
    dashboard = await listen(session)
    client = await logged_in_client(school["student"])
    assert (await client.post("/accounts/logout/")).status_code == 302
    assert await heard_ended(dashboard, session) == EndReason.LOGOUT


async def test_admin_ending_sessions_is_heard(school, listen):
    session = await session_of(school)
    dashboard = await listen(session)
    admin = school["admin"]
    await User.objects.filter(pk=admin.pk).aupdate(is_staff=True, is_superuser=True)
    client = await logged_in_client(await User.objects.aget(pk=admin.pk))
    form = {"action": "end_sessions", "_selected_action": [session.pk]}
    assert (await client.post("/admin/proctor/examsession/", form)).status_code == 302
    assert await heard_ended(dashboard, session) == EndReason.PROCTOR


# --- on commit ----------------------------------------------------------------------------------


async def test_a_rolled_back_ending_publishes_nothing(school, listen):
    session = await session_of(school)
    dashboard = await listen(session)

    def end_then_fail() -> None:
        with transaction.atomic():
            actions.end_session(session.pk, EndReason.SUBMITTED)
            raise RuntimeError("the surrounding work failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(end_then_fail)()
    assert (await ExamSession.objects.aget(pk=session.pk)).state == "running"
    await database_sync_to_async(actions.end_session)(session.pk, EndReason.PROCTOR)
    # Events leave in commit order: had the rolled-back ending been published, it would be heard first.
    assert await heard_ended(dashboard, session) == EndReason.PROCTOR


async def test_a_student_opening_the_exam_appears_on_the_dashboard(school, listen):
    session = await session_of(school)  # student's; student2 of the same group has not opened the exam yet
    dashboard = await listen(session)
    client = await logged_in_client(school["student2"])
    assert (await client.get(f"/proctor/exams/{session.exam_id}/take/")).status_code == 200
    frame = await dashboard.receive_json_from(HEARD_WITHIN)
    opened = await ExamSession.objects.aget(exam_id=session.exam_id, student=school["student2"])
    assert (frame["type"], frame["session"], frame["state"]) == ("session.updated", opened.pk, "waiting_check")
    assert frame["chat_room"] is not None
