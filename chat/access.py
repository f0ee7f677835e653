"""Who may read, write and moderate which room, and who may start a direct chat with whom.

* Members read and write their rooms (unless muted); a room's moderators also edit and delete
  anyone's messages, mute members and see reports and the edit history.
* Administrators read and moderate every room; the director reads every room and writes nothing.
* Direct chats follow the school rules (see :func:`can_start_direct`); the school-structure
  helpers in :mod:`server.school.access` answer "who sees whom".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from server.accounts.models import Role, User
from server.school.access import children_of, visible_parents, visible_students

from .models import Membership, Room

STAFF_ROLES = (Role.ADMIN, Role.CURATOR, Role.TEACHER, Role.PROCTOR)


@dataclass(frozen=True)
class RoomAccess:
    """What one user may do in one room (computed once per request or subscription)."""

    read: bool
    write: bool
    moderate: bool
    membership: Membership | None

    @property
    def muted_until(self) -> datetime | None:
        if self.membership and self.membership.muted_until and self.membership.muted_until > timezone.now():
            return self.membership.muted_until
        return None


NO_ACCESS = RoomAccess(read=False, write=False, moderate=False, membership=None)


def room_access(user: User, room: Room) -> RoomAccess:
    if not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    return access_as(user, Membership.objects.filter(room=room, user=user).first())


def access_as(user: User, membership: Membership | None) -> RoomAccess:
    """The access of ``user`` to a room where they hold ``membership`` (None: not a member), read by the caller
    with the room itself (chat.store reads both in one statement)."""
    if not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    if user.has_role(Role.ADMIN):
        return RoomAccess(read=True, write=True, moderate=True, membership=membership)
    if user.has_role(Role.DIRECTOR):
        return RoomAccess(read=True, write=False, moderate=False, membership=membership)
    if membership is None:
        return NO_ACCESS
    moderator = membership.role == Membership.Role.MODERATOR
    return RoomAccess(read=True, write=True, moderate=moderator, membership=membership)


def readable_rooms(user: User) -> QuerySet[Room]:
    """Rooms the user can list: every room for admin and director, otherwise their memberships."""
    if user.has_role(Role.ADMIN, Role.DIRECTOR):
        return Room.objects.all()
    return Room.objects.filter(memberships__user=user)


def can_start_direct(user: User, other: User) -> bool:
    """The school rules for private chats.

    * the director reads everything and writes nothing, so never takes part in a direct chat;
    * staff (administrators, curators, teachers, proctors) talk to each other;
    * curators and teachers talk to the students of their groups and those students' parents;
    * a parent talks to their own children and to the curators and teachers of those children's groups —
      never to other parents or other parents' children;
    * a student talks to classmates, their own parents and their groups' curators and teachers —
      never to another student's parent.
    """
    if user.pk == other.pk or not (user.is_active and other.is_active):
        return False
    if user.has_role(Role.DIRECTOR) or other.has_role(Role.DIRECTOR):
        return False
    if user.has_role(Role.ADMIN) or other.has_role(Role.ADMIN):
        return True
    return _may_talk(user, other) or _may_talk(other, user)


def _may_talk(user: User, other: User) -> bool:
    if user.has_role(*STAFF_ROLES) and other.has_role(*STAFF_ROLES):
        return True
    if user.has_role(Role.CURATOR, Role.TEACHER):
        if other.has_role(Role.STUDENT) and visible_students(user).filter(pk=other.pk).exists():
            return True
        if other.has_role(Role.PARENT) and visible_parents(user).filter(pk=other.pk).exists():
            return True
    if user.has_role(Role.PARENT) and children_of(user).filter(pk=other.pk).exists():
        return True
    if user.has_role(Role.STUDENT) and other.has_role(Role.STUDENT):
        classmates = User.objects.filter(study_groups__students=user, pk=other.pk)
        return classmates.exists()
    return False
