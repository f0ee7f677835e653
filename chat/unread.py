"""Unread counts outside the chat page: the header badge on every page, the home page, and their live updates.

A message is unread for a member when it is someone else's, not deleted, and after the member's read
position — the rule :func:`chat.queries.rooms_for` uses for the room list. Counts go to the user's
notifications socket (docs/notifications-protocol.md) as ``chat.unread`` frames, one per room and user
whose count changed: after a new message (each member of the room), after a read (the reader's tabs).
A new direct chat is announced to the other person with ``chat.room_added``, so their open chat page lists
it at once. The counts are computed with one query per change, by index range on ``(room, seq)``.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from server.accounts.models import User
from server.notifications.delivery import mark_read, push

from .models import Membership, Message


class RoomUnread(TypedDict):
    room: int
    unread: int


class UnreadAll(TypedDict):
    """Sent when a notifications socket opens: every room of the user with unread messages (others have none)."""

    type: Literal["chat.unread_all"]
    rooms: list[RoomUnread]


class Unread(TypedDict):
    type: Literal["chat.unread"]
    room: int
    unread: int


class RoomAdded(TypedDict):
    type: Literal["chat.room_added"]
    room: int


def by_room(user: User) -> dict[int, int]:
    """The user's rooms with unread messages: room id → count (one query)."""
    rows = (
        Message.objects.filter(
            room__memberships__user=user,
            seq__gt=F("room__memberships__last_read_seq"),
            deleted_at__isnull=True,
        )
        .exclude(author=user)
        .values_list("room_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows.values_list("room_id", "n"))


def snapshot(user: User) -> list[UnreadAll]:
    """The ``chat.unread_all`` frame a notifications socket sends when it opens (server.notifications.snapshots)."""
    counts = by_room(user)
    return [{"type": "chat.unread_all", "rooms": [{"room": room, "unread": n} for room, n in sorted(counts.items())]}]


def members_unread(room_id: int, users: list[int] | None = None) -> dict[int, int]:
    """Members of the room (all, or only ``users``): user id → their unread count in it (one query)."""
    unread = (
        Message.objects.filter(room_id=room_id, seq__gt=OuterRef("last_read_seq"), deleted_at__isnull=True)
        .exclude(author_id=OuterRef("user_id"))
        .values("room_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = Membership.objects.filter(room_id=room_id)
    if users is not None:
        members = members.filter(user_id__in=users)
    counted = members.annotate(unread=Coalesce(Subquery(unread[:1]), 0))
    return dict(counted.values_list("user_id", "unread"))


def publish_room(room_id: int, users: list[int] | None = None) -> None:
    """Send ``chat.unread`` for the room to its members (or only ``users``), once the write commits."""
    for user_id, unread in members_unread(room_id, users).items():
        frame: Unread = {"type": "chat.unread", "room": room_id, "unread": unread}
        push(user_id, frame)


def publish_room_added(room_id: int, user_id: int) -> None:
    """Tell the other person's open pages that a direct chat now exists for them."""
    frame: RoomAdded = {"type": "chat.room_added", "room": room_id}
    push(user_id, frame)


def message_link(room_id: int, seq: int) -> str:
    """Where a notification about message ``seq`` leads (the chat page opens the room at the message)."""
    return f"{reverse('chat:page')}?room={room_id}&seq={seq}"


def dismiss_read(user: User, room_id: int, upto_seq: int) -> None:
    """Mark read the user's notifications about messages of the room they have now read (mentions, reports,
    questions due): a notification must not stay on the home page after the user saw or answered its message."""
    prefix = f"{reverse('chat:page')}?room={room_id}&seq="
    candidates = user.notifications.filter(read_at__isnull=True, url__startswith=prefix).values_list("pk", "url")
    seen = [pk for pk, url in candidates if url[len(prefix) :].isdigit() and int(url[len(prefix) :]) <= upto_seq]
    if seen:
        mark_read(user, seen)
