"""Unread counts outside the chat page: the header badge on every page, the home page, and their live updates.

A message is unread for a member when it is someone else's, not deleted, and after the member's read
position — the rule :func:`chat.queries.rooms_for` uses for the room list. Counts go to the user's
notifications socket (docs/notifications-protocol.md) as ``chat.unread`` frames, one per room and user
whose count changed: after a new message (each member of the room), after a read (the reader's tabs).
A new direct chat is announced to the other person with ``chat.room_added``, so their open chat page lists
it at once. The counts are computed with one query per change, by index range on ``(room, seq)``.

After a new message the counts of the room's members and the author's read notifications are owed, not done
on the send path (:func:`after_message`): a loop's :class:`Owed` does them in one trip to the database thread,
at once when the room had none within ``UNREAD_EVERY_SECONDS``, else at the end of that second, with every
message of the second together. Measured in the small rooms of bench/chat_fanout.py (30 members, 5 messages/s
per room, PostgreSQL): the count query, the dismissal query and 30 pushes per message were about half of the
server's CPU per stored message (docs/benchmarks.md, "Chat send path on PostgreSQL"). So counts are right
within a second of the message; reads (:func:`chat.actions.mark_read`) still update the reader's at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from typing import Literal, TypedDict

from channels.db import database_sync_to_async
from django.db import connection
from django.db.models import Count, F
from django.urls import reverse

from server.accounts.models import User
from server.events import on_commit_in_loop
from server.notifications.delivery import mark_read, push, push_each
from server.notifications.models import Notification

from .models import Membership, Message

log = logging.getLogger(__name__)

UNREAD_EVERY_SECONDS = 1.0  # a room's counts are recomputed at most this often after new messages


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
    return rooms_unread([room_id], users).get(room_id, {})


_COUNTS = (
    f"SELECT m.room_id, m.user_id, (SELECT COUNT(*) FROM {Message._meta.db_table} x "  # noqa: S608 - model names
    "WHERE x.room_id = m.room_id AND x.seq > m.last_read_seq AND x.deleted_at IS NULL "
    "AND (x.author_id IS NULL OR x.author_id <> m.user_id)) "
    f"FROM {Membership._meta.db_table} m WHERE m.room_id IN ({{rooms}})"
)


def rooms_unread(room_ids: list[int], users: list[int] | None = None) -> dict[int, dict[int, int]]:
    """Members of the rooms (all, or only ``users``): room id → user id → unread count (one statement, written by
    hand: the ORM's compiling of the counting subquery cost more CPU than PostgreSQL's answer)."""
    sql = _COUNTS.format(rooms=", ".join(["%s"] * len(room_ids)))
    params = list(room_ids)
    if users is not None:
        if not users:
            return {}
        sql += f" AND m.user_id IN ({', '.join(['%s'] * len(users))})"
        params += users
    counts: dict[int, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for room_id, user_id, unread in cursor.fetchall():
            counts.setdefault(room_id, {})[user_id] = unread
    return counts


def publish_room(room_id: int, users: list[int] | None = None) -> None:
    """Send ``chat.unread`` for the room to its members (or only ``users``), once the write commits."""
    publish_rooms([room_id], users)


def publish_rooms(room_ids: list[int], users: list[int] | None = None) -> None:
    frames: list[tuple[int, Unread]] = [
        (user_id, {"type": "chat.unread", "room": room_id, "unread": unread})
        for room_id, members in rooms_unread(room_ids, users).items()
        for user_id, unread in members.items()
    ]
    push_each(frames)


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
    dismiss_all({(user.pk, room_id): (user, upto_seq)})


Dismissals = dict[tuple[int, int], tuple[User, int]]  # (user id, room id) -> (user, read up to seq)


def dismiss_all(dismissals: Dismissals) -> None:
    """:func:`dismiss_read` for many users and rooms: one query finds the notifications, one per user marks them."""
    if not dismissals:
        return
    prefix = f"{reverse('chat:page')}?room="
    link = re.compile(re.escape(prefix) + r"(\d+)&seq=(\d+)")
    users = {user.pk: user for user, _ in dismissals.values()}
    candidates = Notification.objects.filter(user_id__in=list(users), read_at__isnull=True, url__startswith=prefix)
    seen: dict[int, list[int]] = {}
    for pk, user_id, url in candidates.values_list("pk", "user_id", "url"):
        found = link.fullmatch(url)
        owed = dismissals.get((user_id, int(found[1]))) if found else None
        if found and owed and int(found[2]) <= owed[1]:
            seen.setdefault(user_id, []).append(pk)
    for user_id, ids in seen.items():
        mark_read(users[user_id], ids)


def after_message(author: User, room_id: int, seq: int) -> None:
    """Owe, once the message commits, the room's counts (every member's, the author's too: writing moved their read
    position) and the dismissal of the author's notifications up to ``seq`` (they answered in the room)."""
    on_commit_in_loop(
        lambda: Owed.of_loop().add(author, room_id, seq),
        lambda: _settle({room_id}, {(author.pk, room_id): (author, seq)}),
    )


class Owed:
    """Counts and dismissals owed after new messages on one event loop, settled together in one trip to the
    database thread — at once when nothing was settled within ``UNREAD_EVERY_SECONDS``, else when that second ends.
    Runs only while something is owed (no task in a quiet process)."""

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Owed] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.rooms: set[int] = set()
        self.dismissals: Dismissals = {}
        self.settled_at = float("-inf")  # time.monotonic() of the last settling
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of_loop(cls) -> Owed:
        loop = asyncio.get_running_loop()
        if (owed := cls._of_loop.get(loop)) is None:
            owed = cls._of_loop[loop] = cls()
        return owed

    def add(self, author: User, room_id: int, seq: int) -> None:
        self.rooms.add(room_id)
        key = (author.pk, room_id)
        if key not in self.dismissals or self.dismissals[key][1] < seq:
            self.dismissals[key] = (author, seq)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._settle_all())

    async def _settle_all(self) -> None:
        try:
            while self.rooms:
                if (wait := self.settled_at + UNREAD_EVERY_SECONDS - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                rooms, dismissals = self.rooms, self.dismissals
                self.rooms, self.dismissals = set(), {}
                self.settled_at = time.monotonic()
                try:
                    await database_sync_to_async(_settle)(rooms, dismissals)
                except Exception:  # counts are advisory: the next message or read sets them right
                    log.exception("chat unread: counts of rooms %s could not be published", sorted(rooms))
        finally:
            self.task = None


def _settle(rooms: set[int], dismissals: Dismissals) -> None:
    publish_rooms(sorted(rooms))
    dismiss_all(dismissals)
