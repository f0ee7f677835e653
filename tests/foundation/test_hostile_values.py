"""Hostile values in every field of every message type of every socket get an error frame and the socket stays
open (issue 11 point 8): wrong types, integers far out of range, nested junk (``"attachments": [{}]``), on a real
daphne. Each message is otherwise valid (built from the socket's own schemas), so the hostile value is the one
thing the server must refuse; new message types and fields are swept without touching this test."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import websockets

from chat.protocol import SCHEMAS as CHAT
from lessons.protocol import SCHEMAS as LESSON
from proctor.dashboard_protocol import SCHEMAS as DASHBOARD
from proctor.media.protocol import SCHEMAS as EXAM
from server.notifications.protocol import SCHEMAS as NOTIFICATIONS
from server.ws import Bool, Choice, Field, Int, ListOf, Object, OneOf, ProtocolError, Schema, Sdp, Str
from tests.exams.helpers import open_session
from tests.support import setups
from tests.support.client import logged_in

JUNK: list[Any] = ["1", 1.5, True, 2**64, -(2**63), 10**400, [{}], {"a": [{}, [None]]}, "x" * 5000]


def valid(field: Field) -> Any:
    """A value the field accepts."""
    if isinstance(field, Int):
        return max(field.min, 1)
    if isinstance(field, Str):
        return "x" * max(field.min, 1)
    if isinstance(field, Bool):
        return True
    if isinstance(field, Choice):
        return sorted(field.choices)[0]
    if isinstance(field, Sdp):
        return "v=0\r\n" + "".join(f"m={kind} 9 UDP/TLS/RTP/SAVPF 96\r\n" for kind in field.media)
    if isinstance(field, ListOf):
        return [valid(field.item)] * max(field.min, 1)
    if isinstance(field, Object):
        return {name: valid(sub) for name, sub in field.fields.items() if sub.required}
    if isinstance(field, OneOf):
        return valid(field.options[0])
    raise TypeError(f"no valid value for {field!r}")


def hostile(field: Field) -> Iterator[Any]:
    """Values the field must refuse: junk of every kind, and junk nested inside lists and objects."""
    for value in JUNK:
        try:
            field.check("probe", value)
        except ProtocolError:
            yield value
    if isinstance(field, ListOf):
        for inner in list(hostile(field.item))[:4]:
            yield [valid(field.item), inner]
    if isinstance(field, Object):
        for name, sub in field.fields.items():
            for inner in list(hostile(sub))[:4]:
                yield {**valid(field), name: inner}


def hostile_messages(schemas: Mapping[str, Schema]) -> Iterator[dict[str, Any]]:
    for message_type, schema in schemas.items():
        base = {name: valid(field) for name, field in schema.items()}
        for name, field in schema.items():
            for value in hostile(field):
                yield {"type": message_type, **base, name: value}
        yield {"type": message_type, **base, "extra": [{}]}


async def sweep(ws: websockets.ClientConnection, schemas: Mapping[str, Schema]) -> int:
    """Send every hostile message; each gets an error frame (other frames are skipped); the socket stays open."""
    messages = list(hostile_messages(schemas))
    for number, message in enumerate(messages):
        await ws.send(json.dumps({**message, "ref": number}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == "error":
                break
        assert frame.get("ref") == number, (message, frame)
    assert ws.state is websockets.State.OPEN
    return len(messages)


@pytest.fixture
def school_user(live_env):
    def make(role: str, group: str | None = None) -> str:
        username = f"h{uuid.uuid4().hex[:10]}"
        live_env.call(setups.add_user, username=username, role=role, group=group)
        return username

    return make


async def test_chat_and_notifications(daphne_server, school_user):
    session = logged_in(daphne_server.url, school_user("teacher"))
    chat = await session.websocket("/ws/chat/")
    assert await sweep(chat, CHAT) > 100
    assert await sweep(await session.websocket("/ws/notifications/"), NOTIFICATIONS) > 5


async def test_dashboard(daphne_server, live_env, school_user):
    proctor = school_user("proctor")
    exam = live_env.call(setups.exam_proctored_by, title="Враждебные значения", proctor=proctor)
    assert await sweep(await logged_in(daphne_server.url, proctor).websocket(f"/ws/proctor/exams/{exam}/"), DASHBOARD)


async def test_exam_socket(daphne_server, live_env, school_user):
    student = school_user("student", group=setups.DEMO_GROUP)
    exam = live_env.call(
        setups.open_exam,
        title="Враждебные значения",
        minutes=30,
        policy={},
        student=student,
        reference="",
        consent=False,
    )
    session = await open_session(daphne_server, exam, student)
    ws = await logged_in(daphne_server.url, student).websocket(f"/ws/rtc/sessions/{session}/")
    assert await sweep(ws, EXAM)


async def test_lesson_socket(daphne_server, school_user):
    ws = await logged_in(daphne_server.url, school_user("teacher")).websocket("/ws/lessons/1/")
    assert await sweep(ws, LESSON)
