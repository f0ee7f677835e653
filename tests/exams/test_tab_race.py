"""Connection ownership: an old exam tab's socket dropping while a new tab of the same session connects must not
pause the session under the new socket (the race is forced, not left to timing)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from proctor import actions
from proctor.media.exam_socket import ExamSessionConsumer
from proctor.models import Episode, Exam, ExamSession
from server.school.models import StudyGroup


@pytest.fixture
def running_session(school) -> ExamSession:
    now = timezone.now()
    exam = Exam.objects.create(
        title="Химия",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=1),
        materials="Задание 1.",
        created_by=school["teacher"],
    )
    return ExamSession.objects.create(
        exam=exam, student=school["student"], state="running", identity="admitted", started_at=now
    )


def camera_lost(session: ExamSession) -> int:
    return Episode.objects.filter(session=session, kind="camera_lost").count()


def test_only_the_newest_connection_may_pause_the_session(running_session):
    session_id, student_id = running_session.pk, running_session.student_id
    _, old = actions.connect(session_id, student_id)
    summary, new = actions.connect(session_id, student_id)
    assert new > old
    assert summary["state"] == "running"

    assert actions.disconnect(session_id, old) is None  # the old tab's late teardown changes nothing
    running_session.refresh_from_db()
    assert running_session.state == "running"
    assert running_session.disconnected_at is None
    assert camera_lost(running_session) == 0

    summary = actions.disconnect(session_id, new)  # the owner leaving still pauses
    assert summary["state"] == "paused"
    assert camera_lost(running_session) == 0  # a gap becomes an episode only after the grace period


def communicator(session: ExamSession) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(ExamSessionConsumer.as_asgi(), f"/ws/rtc/sessions/{session.pk}/")
    socket.scope["user"] = session.student
    socket.scope["url_route"] = {"kwargs": {"session_id": session.pk}}
    return socket


@pytest.mark.django_db(transaction=True)
async def test_old_tab_dropping_as_a_new_tab_connects_leaves_the_session_running(
    running_session, monkeypatch, settings
):
    settings.RTC_MEDIA_EMBEDDED = False  # no media in this test: the sockets' messages to the worker just wait
    real_pause = ExamSessionConsumer._pause
    old_tab_pausing, new_tab_connected = asyncio.Event(), asyncio.Event()

    async def pause_after_the_new_tab(consumer: ExamSessionConsumer, session_id: int) -> None:
        """The old socket's teardown pauses only after the new socket has connected."""
        old_tab_pausing.set()
        await asyncio.wait_for(new_tab_connected.wait(), 10)
        await real_pause(consumer, session_id)

    monkeypatch.setattr(ExamSessionConsumer, "_pause", pause_after_the_new_tab)
    old_tab = communicator(running_session)
    assert (await old_tab.connect())[0]
    assert (await old_tab.receive_json_from(5))["state"] == "running"

    dropping = asyncio.create_task(old_tab.disconnect(timeout=10))  # the network drops: no "replaced" seen
    await asyncio.wait_for(old_tab_pausing.wait(), 5)
    new_tab = communicator(running_session)
    assert (await new_tab.connect())[0]
    assert (await new_tab.receive_json_from(5))["state"] == "running"
    new_tab_connected.set()
    await dropping

    await running_session.arefresh_from_db()
    assert running_session.state == "running"
    assert running_session.disconnected_at is None
    assert await asyncio.to_thread(camera_lost, running_session) == 0
    await new_tab.send_json_to({"type": "ping"})
    assert await new_tab.receive_json_from(5) == {"type": "pong"}  # the new socket was not told to step down

    await new_tab.disconnect()  # the owner leaving pauses as before
    await running_session.arefresh_from_db()
    assert running_session.state == "paused"
    assert await asyncio.to_thread(camera_lost, running_session) == 0  # not yet: within the grace period
