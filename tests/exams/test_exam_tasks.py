"""Issue 11.1: the exam's tasks (materials and LMS address) never reach the browser before proctoring does.

The exam page carries neither in any state short of ended (read as curl would: the Django client and a real
daphne); they leave only over the exam socket, answering ``materials`` for a running session with a confirmed
identity; anything earlier gets an error frame. The exam's timer counts from that first release.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from proctor.media.exam_socket import ExamSessionConsumer
from proctor.models import Exam, ExamSession
from server.accounts.models import AuditEvent
from server.school.models import StudyGroup
from tests.exams.helpers import open_session
from tests.support import setups
from tests.support.client import logged_in, receive_json

MATERIALS = "Задание 1. Найдите x, если 3x = 12."
LMS_URL = "https://lms.example.org/quiz/secret-7781"
LMS_ORIGIN = "https://lms.example.org"
HEARD_WITHIN = 10.0

# Every state short of ended, with the identity it may have there.
BEFORE_THE_END = [
    ("waiting_check", "pending"),
    ("identity_pending", "pending"),
    ("identity_pending", "failed"),
    ("running", "verified"),
    ("running", "admitted"),
    ("paused", "verified"),
]


def make_session(school: dict, state: str, identity: str, started_ago: timedelta | None = None) -> ExamSession:
    now = timezone.now()
    exam = Exam.objects.create(
        title="Алгебра",
        group=StudyGroup.objects.get(name="9А"),
        opens_at=now - timedelta(minutes=30),
        closes_at=now + timedelta(hours=2),
        duration_minutes=40,
        materials=MATERIALS,
        lms_url=LMS_URL,
        created_by=school["teacher"],
    )
    started = now - started_ago if started_ago is not None else None
    return ExamSession.objects.create(
        exam=exam, student=school["student"], state=state, identity=identity, started_at=started
    )


def assert_no_tasks(html: str) -> None:
    assert MATERIALS not in html
    assert "secret-7781" not in html
    assert "lms.example.org" not in html


@pytest.mark.parametrize(("state", "identity"), BEFORE_THE_END)
def test_the_exam_page_never_carries_the_tasks(school, client_for, state, identity):
    session = make_session(
        school, state, identity, started_ago=timedelta(0) if state in ("running", "paused") else None
    )
    response = client_for(school["student"]).get(f"/proctor/exams/{session.exam_id}/take/")
    assert response.status_code == 200
    assert_no_tasks(response.content.decode())
    # The page may still frame the LMS once the address arrives: its origin is in the policy.
    assert f"frame-src 'self' {LMS_ORIGIN}" in response["Content-Security-Policy"]


def student_socket(session: ExamSession) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(ExamSessionConsumer.as_asgi(), f"/ws/rtc/sessions/{session.pk}/")
    socket.scope["user"] = session.student
    socket.scope["url_route"] = {"kwargs": {"session_id": session.pk}}
    return socket


async def ask_for_tasks(session: ExamSession, times: int = 1) -> list[dict]:
    """The answers to ``materials`` asked ``times`` on one socket (which then closes: the session pauses)."""
    socket = student_socket(session)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(HEARD_WITHIN))["type"] == "session.state"
    answers = []
    for _ in range(times):
        await socket.send_json_to({"type": "materials"})
        answers.append(await socket.receive_json_from(HEARD_WITHIN))
    await socket.disconnect()
    return answers


@pytest.fixture
def no_media(settings) -> None:
    settings.RTC_MEDIA_EMBEDDED = False  # the sockets' messages to the media worker just wait in the layer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("state", "identity"),
    [("waiting_check", "pending"), ("identity_pending", "pending"), ("identity_pending", "failed")],
)
async def test_a_session_short_of_running_and_identified_asking_for_the_tasks_gets_an_error_frame(
    school, no_media, state, identity
):
    session = await database_sync(make_session, school, state, identity)
    [answer] = await ask_for_tasks(session)
    assert answer == {
        "type": "error",
        "error": "not_running",
        "detail": "the tasks are released once the attempt runs",
    }
    assert (await ExamSession.objects.aget(pk=session.pk)).released_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("identity", ["verified", "admitted"])
async def test_a_running_identified_session_gets_the_tasks_and_its_timer_starts_then(school, no_media, identity):
    session = await database_sync(make_session, school, "running", identity, started_ago=timedelta(minutes=10))
    before = timezone.now()
    answer, again = await ask_for_tasks(session, times=2)
    stored = await ExamSession.objects.select_related("exam").aget(pk=session.pk)
    assert stored.released_at is not None
    assert stored.released_at >= before
    # 40 minutes from the release, not from the start 10 minutes earlier.
    assert stored.deadline == stored.released_at + timedelta(minutes=40)
    assert answer == {
        "type": "materials",
        "materials": MATERIALS,
        "lms_url": LMS_URL,
        "deadline": stored.deadline.isoformat(),
    }
    assert again == answer  # asked again: the same tasks and deadline
    # Back after the connection dropped, the session runs again (and gets its tasks) only once the new
    # connection's camera works.
    [refused] = await ask_for_tasks(session)
    assert refused["error"] == "not_running"
    released = AuditEvent.objects.filter(kind="proctor.tasks_released", details__session=session.pk)
    assert await released.acount() == 1


async def database_sync(function, *args, **kwargs):
    from channels.db import database_sync_to_async

    return await database_sync_to_async(function)(*args, **kwargs)


@pytest.mark.media
async def test_real_daphne_serves_no_tasks_in_the_page_and_releases_them_only_after_admission(
    private_network, make_exam, daphne_factory, live_env
):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    student = logged_in(server.url, "student")
    for state, identity in BEFORE_THE_END:
        live_env.call(
            setups.session_in_state, exam=exam_id, student="student", state=state, identity=identity, lms_url=LMS_URL
        )
        status, body = student.get(f"/proctor/exams/{exam_id}/take/")
        assert status == 200, (state, identity)
        html = body.decode()
        assert "Решите уравнение" not in html, (state, identity)
        assert "secret-7781" not in html, (state, identity)

    live_env.call(
        setups.session_in_state,
        exam=exam_id,
        student="student",
        state="waiting_check",
        identity="pending",
        lms_url=LMS_URL,
    )
    socket = await student.websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(socket))["type"] == "session.state"
    await socket.send(json.dumps({"type": "materials"}))
    assert (await receive_json(socket))["error"] == "not_running"
    live_env.call(setups.admitted_session_closing_in, session=session_id, seconds=3600)
    await socket.send(json.dumps({"type": "materials"}))
    while (frame := await receive_json(socket))["type"] != "materials":
        pass
    assert (frame["materials"], frame["lms_url"]) == ("Задание 1. Решите уравнение x + 2 = 5.", LMS_URL)
    await socket.close()
