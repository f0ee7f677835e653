"""chat.actions publish their own events: a change made outside the socket (a view, another app) reaches the
room's open sockets, and a change that rolled back reaches nobody. In process: the real chat socket on the
in-memory layer, the actions run as a view's or a consumer's would, in a ``database_sync_to_async`` thread."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from chat import actions
from chat.consumers import ChatConsumer
from chat.rooms import room_for_lesson
from server.accounts.models import Role, User, UserRole

pytestmark = pytest.mark.django_db(transaction=True)

HEARD_WITHIN = 10.0  # seconds: generous, the machine may be busy


def person(username: str, role: str) -> User:
    user = User.objects.create(username=username, last_name=username.title())
    UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def lesson_room(db) -> tuple[int, User, User]:
    """A lesson room: the teacher moderates, the student is a member."""
    teacher, student = person("teacher-a", Role.TEACHER), person("student-a", Role.STUDENT)
    return room_for_lesson("L-actions", "Химия", [student], [teacher]).pk, teacher, student


@pytest.fixture
async def student_socket(lesson_room) -> AsyncIterator[WebsocketCommunicator]:
    """The student's chat socket, subscribed to the room (its backlog is empty)."""
    room, _, student = lesson_room
    socket = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    socket.scope["user"] = student
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(HEARD_WITHIN))["type"] == "welcome"
    await socket.send_json_to({"type": "subscribe", "rooms": [{"room": room}]})
    assert (await socket.receive_json_from(HEARD_WITHIN))["type"] == "subscribed"
    yield socket
    await socket.disconnect()


async def next_frame(socket: WebsocketCommunicator, *types: str) -> dict:
    """The socket's next frame of one of ``types`` (presence and other passing frames are skipped)."""
    while (frame := await socket.receive_json_from(HEARD_WITHIN))["type"] not in types:
        pass
    return frame


async def test_a_message_posted_outside_the_socket_reaches_the_subscribed_socket(lesson_room, student_socket):
    room, teacher, _ = lesson_room
    message, duplicate = await database_sync_to_async(actions.post_message)(teacher, room, "c-1", "Откройте §12")
    assert not duplicate
    frame = await next_frame(student_socket, "message")
    assert (frame["message"]["seq"], frame["message"]["text"]) == (message.seq, "Откройте §12")

    await database_sync_to_async(actions.edit_message)(teacher, room, message.seq, "Откройте §13")
    frame = await next_frame(student_socket, "message.updated")
    assert (frame["message"]["seq"], frame["message"]["text"]) == (message.seq, "Откройте §13")


async def test_moderation_and_read_positions_made_by_actions_reach_the_socket(lesson_room, student_socket):
    room, teacher, student = lesson_room
    message, _ = await database_sync_to_async(actions.post_message)(teacher, room, "c-1", "Контрольная в пятницу")
    await next_frame(student_socket, "message")

    await database_sync_to_async(actions.mark_read)(student, room, message.seq)  # as the student's other tab
    assert await next_frame(student_socket, "read") == {
        "type": "read",
        "room": room,
        "user": student.pk,
        "seq": message.seq,
    }
    membership = await database_sync_to_async(actions.mute_member)(teacher, room, student.pk, 10)
    assert await next_frame(student_socket, "muted") == {
        "type": "muted",
        "room": room,
        "user": student.pk,
        "until": membership.muted_until.isoformat(),
    }
    await database_sync_to_async(actions.delete_message)(teacher, room, message.seq)
    frame = await next_frame(student_socket, "message.updated")
    assert frame["message"]["seq"] == message.seq
    assert frame["message"]["deleted"] is True


async def test_a_rolled_back_message_reaches_nobody(lesson_room, student_socket):
    room, teacher, _ = lesson_room

    def post_then_fail() -> None:
        with transaction.atomic():
            actions.post_message(teacher, room, "c-lost", "Это сообщение не сохранится")
            raise RuntimeError("the surrounding work failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(post_then_fail)()
    await database_sync_to_async(actions.post_message)(teacher, room, "c-kept", "А это сохранится")
    # Events leave in commit order: had the rolled-back message been published, it would come first.
    frame = await next_frame(student_socket, "message")
    assert (frame["message"]["seq"], frame["message"]["text"]) == (1, "А это сохранится")
