"""Creating rooms and keeping their membership right — the Python API other features call.

* :func:`ensure_room` — the generic entry point: a room identified by ``(kind, key)`` whose
  members are exactly ``members`` (moderators included). Lessons and exam sessions use it
  through :func:`room_for_lesson` and :func:`room_for_exam_session`.
* :func:`sync_group_rooms` — the group chat (curators, teachers, students) and the parents'
  chat (curators, teachers, the students' parents) of a study group; called by the signals in
  :mod:`chat.signals` whenever the group or a parent link changes.
* :func:`open_direct` — a private chat between two people, if the school rules allow it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from server.accounts.models import User
from server.school.models import ParentLink, StudyGroup

from .access import can_start_direct
from .models import Membership, Room


class DirectChatForbidden(PermissionError):
    """The school rules do not allow these two people a private chat."""


def _ids(users: Iterable[User | int]) -> set[int]:
    return {u if isinstance(u, int) else u.pk for u in users}


@transaction.atomic
def ensure_room(
    kind: str,
    key: str,
    title: str,
    members: Iterable[User | int],
    moderators: Iterable[User | int] = (),
    group: StudyGroup | None = None,
) -> Room:
    """Create or update the room ``(kind, key)`` so its membership is exactly ``members`` ∪ ``moderators``.

    Moderators get the moderator role; people no longer listed leave the room (their messages stay).
    ``title`` holds names only, in no particular language (see :attr:`Room.display_title`).
    """
    room, created = Room.objects.get_or_create(kind=kind, key=key, defaults={"title": title, "group": group})
    if not created and (room.title != title or room.group_id != (group.pk if group else None)):
        room.title, room.group = title, group
        room.save(update_fields=["title", "group"])
    wanted = dict.fromkeys(_ids(members), Membership.Role.MEMBER)
    wanted.update(dict.fromkeys(_ids(moderators), Membership.Role.MODERATOR))
    current = dict(Membership.objects.filter(room=room).values_list("user_id", "role"))
    Membership.objects.filter(room=room, user_id__in=set(current) - set(wanted)).delete()
    Membership.objects.bulk_create(
        [Membership(room=room, user_id=uid, role=role) for uid, role in wanted.items() if uid not in current]
    )
    for role in Membership.Role.values:
        promoted_or_demoted = [uid for uid, r in wanted.items() if r == role and current.get(uid, role) != role]
        if promoted_or_demoted:
            Membership.objects.filter(room=room, user_id__in=promoted_or_demoted).update(role=role)
    return room


def room_for_lesson(
    lesson_key: str, title: str, students: Iterable[User | int], teachers: Iterable[User | int]
) -> Room:
    """The chat of one lesson: its teachers moderate, its students take part."""
    return ensure_room(Room.Kind.LESSON, str(lesson_key), title, students, teachers)


def room_for_exam_session(
    session_key: str, members: Iterable[User | int], proctors: Iterable[User | int] = (), *, title: str
) -> Room:
    """The chat of one exam session (proctor ↔ student): proctors moderate."""
    return ensure_room(Room.Kind.EXAM, str(session_key), title, members, proctors)


def sync_group_rooms(group: StudyGroup) -> tuple[Room, Room]:
    """Bring the group's two chats in line with its current staff, students and their parents."""
    staff = _ids(group.curators.all()) | _ids(group.teachers.all())
    students = _ids(group.students.all())
    parents = set(ParentLink.objects.filter(child_id__in=students).values_list("parent_id", flat=True))
    group_room = ensure_room(Room.Kind.GROUP, str(group.pk), group.name, students - staff, staff, group=group)
    parents_room = ensure_room(Room.Kind.PARENTS, str(group.pk), group.name, parents - staff, staff, group=group)
    return group_room, parents_room


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def open_direct(user: User, other: User) -> Room:
    """The private chat of two people (created on first use); raises DirectChatForbidden."""
    existing = Room.objects.filter(kind=Room.Kind.DIRECT, key=direct_key(user.pk, other.pk)).first()
    if existing is not None and Membership.objects.filter(room=existing, user=user).exists():
        return existing
    if not can_start_direct(user, other):
        raise DirectChatForbidden(f"{user.username} may not start a chat with {other.username}")
    title = " — ".join(sorted((str(user), str(other))))
    return ensure_room(Room.Kind.DIRECT, direct_key(user.pk, other.pk), title, [user, other])
