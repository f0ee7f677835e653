"""Rooms follow the school structure; the Python API for lesson and exam rooms; the hub's delivery order."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from chat.models import Membership, Room
from chat.rooms import room_for_exam_session, room_for_lesson
from server.accounts.models import Role, User, UserRole
from server.school.models import ParentLink, StudyGroup

pytestmark = pytest.mark.django_db(transaction=True)  # the sync runs on commit


def person(username: str, role: str) -> User:
    user = User.objects.create(username=username)
    UserRole.objects.create(user=user, role=role)
    return user


def members(room: Room) -> dict[str, str]:
    return dict(Membership.objects.filter(room=room).values_list("user__username", "role"))


def test_group_and_parents_chats_follow_the_school_structure():
    curator, teacher = person("k", Role.CURATOR), person("t", Role.TEACHER)
    pupil, other, parent = person("s1", Role.STUDENT), person("s2", Role.STUDENT), person("p1", Role.PARENT)
    group = StudyGroup.objects.create(name="7В")
    group.curators.add(curator)
    group.teachers.add(teacher)
    group.students.add(pupil, other)
    ParentLink.objects.create(parent=parent, child=pupil)

    chat = Room.objects.get(kind=Room.Kind.GROUP, group=group)
    parents = Room.objects.get(kind=Room.Kind.PARENTS, group=group)
    assert members(chat) == {"k": "moderator", "t": "moderator", "s1": "member", "s2": "member"}
    assert members(parents) == {"k": "moderator", "t": "moderator", "p1": "member"}

    other.study_groups.remove(group)  # from the student's side of the relation
    ParentLink.objects.filter(parent=parent).delete()
    assert "s2" not in members(chat)
    assert members(parents) == {"k": "moderator", "t": "moderator"}
    group.teachers.clear()
    assert members(chat) == {"k": "moderator", "s1": "member"}


def test_lesson_and_exam_rooms_through_the_python_api():
    teacher, proctor = person("t", Role.TEACHER), person("pr", Role.PROCTOR)
    a, b = person("a", Role.STUDENT), person("b", Role.STUDENT)
    lesson = room_for_lesson("L-1", "Алгебра", [a, b], [teacher])
    assert members(lesson) == {"a": "member", "b": "member", "t": "moderator"}
    again = room_for_lesson("L-1", "Алгебра", [a], [teacher, b])  # idempotent, membership updated
    assert again.pk == lesson.pk
    assert members(again) == {"a": "member", "b": "moderator", "t": "moderator"}
    exam = room_for_exam_session("S-9", [a], [proctor.pk], title="Алгебра: a")
    assert exam.kind == Room.Kind.EXAM
    assert members(exam) == {"a": "member", "pr": "moderator"}


class Recorder:
    """A subscriber that keeps what the hub writes to it."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.delivered: dict[int, int] = {}
        self.frames: list[dict] = []

    def push(self, frame) -> None:
        self.frames.append(json.loads(frame.text))

    def seqs(self) -> list[int]:
        return [f["message"]["seq"] for f in self.frames if f["type"] == "message"]


async def test_hub_delivers_in_order_and_recovers_what_was_never_published():
    """Messages stored but lost on the way (never published, or published out of order) still arrive, in order."""
    from channels.db import database_sync_to_async

    from chat.actions import post_message
    from chat.hub import Hub
    from chat.payloads import message_frame

    def setup() -> tuple[int, User]:
        teacher = person("t", Role.TEACHER)
        return room_for_lesson("L-2", "Физика", [], [teacher]).pk, teacher

    room_id, teacher = await database_sync_to_async(setup)()
    hub = Hub()
    await hub.start()
    try:
        reader = Recorder(user_id=999)

        async def nothing(_: int) -> None:
            return None

        await hub.join(reader, room_id, None, nothing)
        stored = [await database_sync_to_async(post_message)(teacher, room_id, f"c{n}", f"m{n}") for n in range(5)]
        frames = {m.seq: message_frame(m) for m, _ in stored}
        await hub.publish_message(room_id, 3, frames[3])  # 1 and 2 were lost on the way
        await hub.publish_message(room_id, 2, frames[2])
        assert reader.seqs() == []  # 3 and 2 wait for 1
        await asyncio.sleep(0.3)  # the reorder wait passes; the gap is read from the database
        assert reader.seqs() == [1, 2, 3]
        # 4 and 5 are never published at all: the once-a-second tail check delivers them.
        await asyncio.sleep(1.5)
        assert reader.seqs() == [1, 2, 3, 4, 5]
        await hub.publish_message(room_id, 4, frames[4])  # a late duplicate is dropped
        assert reader.seqs() == [1, 2, 3, 4, 5]
    finally:
        await hub.stop()


def test_sync_command_builds_rooms_for_groups_made_without_signals():
    from django.core.management import call_command

    group = StudyGroup.objects.create(name="5А")
    Room.objects.filter(group=group).delete()  # as if the group predates the chat app
    call_command("chat_sync_rooms", stdout=io.StringIO())
    assert set(Room.objects.filter(group=group).values_list("kind", flat=True)) == {"group", "parents"}
