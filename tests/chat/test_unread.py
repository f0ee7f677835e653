"""Unread counts after new messages (chat.unread): what is counted, and that the send path only owes them — a
loop settles them at once, then at most once per UNREAD_EVERY_SECONDS with every room of that second together;
without a loop (a command) they go at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import actions, unread
from chat.models import Membership, Message, Room
from chat.rooms import room_for_lesson
from server.accounts.models import Role, User, UserRole
from server.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)  # the counts are owed on commit

SETTLED_WITHIN = 10.0  # seconds: generous, the machine may be busy


def person(username: str, role: str) -> User:
    user = User.objects.create(username=username, last_name=username.title())
    UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def lesson(db) -> tuple[Room, User, User, User]:
    teacher, ann, bob = person("teacher-u", Role.TEACHER), person("ann-u", Role.STUDENT), person("bob-u", Role.STUDENT)
    return room_for_lesson("L-unread", "История", [ann, bob], [teacher]), teacher, ann, bob


@pytest.fixture
def pushed(monkeypatch) -> list[list[tuple[int, dict[str, Any]]]]:
    """Every batch of notification events handed to the loop by chat.unread."""
    batches: list[list[tuple[int, dict[str, Any]]]] = []
    monkeypatch.setattr(unread, "push_each", lambda events: batches.append(list(events)))
    return batches


def test_a_count_leaves_out_own_deleted_and_read_messages(lesson):
    room, teacher, ann, bob = lesson
    for n in range(3):
        actions.post_message(teacher, room.pk, f"t-{n}", f"Параграф {n}")
    actions.post_message(ann, room.pk, "a-0", "Поняла")  # ann's own: not unread for her; she has read up to it
    deleted, _ = actions.post_message(teacher, room.pk, "t-3", "Опечатка")
    Message.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    Message.objects.create(room=room, seq=6, author=None, client_id="system", text="Урок начался")
    Room.objects.filter(pk=room.pk).update(last_seq=6)
    Membership.objects.filter(room=room, user=bob).update(last_read_seq=1)

    assert unread.members_unread(room.pk) == {teacher.pk: 1, ann.pk: 1, bob.pk: 4}
    assert unread.rooms_unread([room.pk], [bob.pk]) == {room.pk: {bob.pk: 4}}
    assert unread.rooms_unread([room.pk], []) == {}


def test_without_an_event_loop_the_counts_and_dismissals_go_at_once(lesson, pushed):
    room, teacher, ann, bob = lesson
    actions.post_message(teacher, room.pk, "t-1", "@ann-u зайди после урока")
    mention = Notification.objects.get(user=ann, kind="chat.mention")
    pushed.clear()

    actions.post_message(ann, room.pk, "a-1", "Хорошо")  # answering in the room dismisses the mention

    counts = {user: event["unread"] for user, event in pushed[0] if event["type"] == "chat.unread"}
    assert counts == {teacher.pk: 1, ann.pk: 0, bob.pk: 2}
    mention.refresh_from_db()
    assert mention.read_at is not None


async def test_a_loop_settles_at_once_then_owes_the_rest_of_the_second_together(lesson, monkeypatch):
    room, teacher, ann, _ = lesson
    settled: list[tuple[set[int], dict[tuple[int, int], int]]] = []

    def settle(rooms: set[int], dismissals: unread.Dismissals) -> None:
        settled.append((rooms, {key: seq for key, (_, seq) in dismissals.items()}))

    monkeypatch.setattr(unread, "_settle", settle)
    monkeypatch.setattr(unread, "UNREAD_EVERY_SECONDS", 0.2)
    owed = unread.Owed()
    owed.add(teacher, room.pk, 1)
    await wait_for(lambda: len(settled) == 1)
    owed.add(teacher, room.pk, 2)
    owed.add(ann, room.pk, 3)
    owed.add(teacher, room.pk + 1, 7)
    await wait_for(lambda: len(settled) == 2)

    assert settled == [
        ({room.pk}, {(teacher.pk, room.pk): 1}),
        ({room.pk, room.pk + 1}, {(teacher.pk, room.pk): 2, (ann.pk, room.pk): 3, (teacher.pk, room.pk + 1): 7}),
    ]
    await wait_for(lambda: owed.task is None)  # nothing owed: no task left running


async def test_counts_owed_by_a_message_are_sent_from_the_loop(lesson, pushed):
    room, teacher, ann, bob = lesson
    await database_sync_to_async(actions.post_message)(teacher, room.pk, "t-1", "Домашнее задание на доске")
    await wait_for(lambda: any(event["type"] == "chat.unread" for batch in pushed for _, event in batch))

    counts = {user: event["unread"] for batch in pushed for user, event in batch if event["type"] == "chat.unread"}
    assert counts == {teacher.pk: 0, ann.pk: 1, bob.pk: 1}


async def wait_for(condition, timeout: float = SETTLED_WITHIN) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not settled in time"
        await asyncio.sleep(0.01)
