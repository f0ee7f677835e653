"""Reading chat data: room lists with unread counts, missed messages, history, receipts, audit trail."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from server.accounts.models import Role, User
from server.ws import ProtocolError

from .access import readable_rooms
from .frames import HistoryPage, Member, OpenReport, Revision
from .models import Membership, Message, Report
from .payloads import (
    MESSAGE_PREFETCH,
    MESSAGE_RELATED,
    MessagePayload,
    Person,
    RoomPayload,
    message_frame,
    message_payload,
    person,
    room_payload,
    updated_frame,
)
from .store import get_message, load_room


def rooms_for(user: User) -> list[RoomPayload]:
    """The user's rooms, each with its unread count (others' undeleted messages after the read position)."""
    mine = Membership.objects.filter(room=OuterRef("pk"), user=user)
    annotated = (
        readable_rooms(user)
        .annotate(
            my_read=Coalesce(Subquery(mine.values("last_read_seq")[:1]), 0), my_role=Subquery(mine.values("role")[:1])
        )
        .order_by("kind", "title")
    )
    rooms = list(annotated)
    read_position = Membership.objects.filter(room=OuterRef("room"), user=user)
    unread = dict(
        Message.objects.filter(room__in=[r.pk for r in rooms if r.my_role], deleted_at__isnull=True)
        .exclude(author=user)
        .filter(seq__gt=Subquery(read_position.values("last_read_seq")[:1]))
        .values_list("room")
        .annotate(n=Count("pk"))
        .values_list("room", "n")
    )
    admin, director = user.has_role(Role.ADMIN), user.has_role(Role.DIRECTOR)
    return [
        room_payload(
            room, room.my_role, admin or (bool(room.my_role) and not director), room.my_read, unread.get(room.pk, 0)
        )
        for room in rooms
    ]


def frames_after(room_id: int, after: int, limit: int) -> list[tuple[int, str]]:
    """Encoded ``message`` frames with seq > after, oldest first (catch-up and gap filling)."""
    messages = (
        Message.objects.select_related(*MESSAGE_RELATED)
        .prefetch_related(*MESSAGE_PREFETCH)
        .filter(room_id=room_id, seq__gt=after)
    )
    return [(m.seq, message_frame(m)) for m in messages.order_by("seq")[:limit]]


def changed_frames(room_id: int, change_after: int, upto_seq: int, limit: int) -> list[str]:
    """``message.updated`` frames for messages up to ``upto_seq`` edited or deleted after change ``change_after``."""
    messages = (
        Message.objects.select_related(*MESSAGE_RELATED)
        .prefetch_related(*MESSAGE_PREFETCH)
        .filter(room_id=room_id, seq__lte=upto_seq, change_seq__gt=change_after)
    )
    return [updated_frame(m) for m in messages.order_by("change_seq")[:limit]]


def members_of(room_id: int) -> list[Member]:
    memberships = Membership.objects.select_related("user").filter(room_id=room_id).order_by("user__last_name")
    return [
        {
            **person(m.user),
            "role": m.role,
            "last_read_seq": m.last_read_seq,
            "muted_until": m.muted_until.isoformat() if m.muted_until else None,
        }
        for m in memberships
    ]


def history(user: User, room_id: int, before: int | None, limit: int) -> HistoryPage:
    """A page of messages older than ``before`` (newest page when None), returned oldest first."""
    room, _ = load_room(user, room_id)
    messages = Message.objects.select_related(*MESSAGE_RELATED).prefetch_related(*MESSAGE_PREFETCH).filter(room=room)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    page = list(messages.order_by("-seq")[: limit + 1])
    more = len(page) > limit
    return {"room": room.pk, "messages": [message_payload(m) for m in reversed(page[:limit])], "more": more}


def messages_between(
    user: User, room_id: int, since: datetime, until: datetime, limit: int = 500
) -> list[MessagePayload]:
    """The room's messages written in [since, until], oldest first (e.g. a lesson's chat beside its recording).

    The same check as every read: ``forbidden`` (ProtocolError) for a user who may not read the room.
    """
    room, _ = load_room(user, room_id)
    messages = Message.objects.select_related(*MESSAGE_RELATED).prefetch_related(*MESSAGE_PREFETCH)
    found = messages.filter(room=room, created_at__gte=since, created_at__lte=until, deleted_at__isnull=True)
    return [message_payload(m) for m in found.order_by("seq")[:limit]]


def receipts(user: User, room_id: int, seq: int) -> list[Person]:
    """Who has read message ``seq`` (members whose read position reached it)."""
    room, _ = load_room(user, room_id)
    message = get_message(room, seq)
    readers = Membership.objects.select_related("user").filter(room=room, last_read_seq__gte=seq)
    if message.author_id is not None:  # the author is no reader of their own message
        readers = readers.exclude(user_id=message.author_id)
    return [person(m.user) for m in readers.order_by("user__last_name")]


def revisions(user: User, room_id: int, seq: int) -> list[Revision]:
    room, access = load_room(user, room_id)
    if not access.moderate:
        raise ProtocolError("forbidden", "only moderators see the edit history")
    message = get_message(room, seq)
    return [
        {"action": r.action, "old_text": r.old_text, "editor": person(r.editor), "at": r.at.isoformat()}
        for r in message.revisions.select_related("editor")
    ]


def reports(user: User, room_id: int) -> list[OpenReport]:
    room, access = load_room(user, room_id)
    if not access.moderate:
        raise ProtocolError("forbidden", "only moderators see reports")
    found = Report.objects.select_related("reporter", "message").filter(message__room=room, resolved_at__isnull=True)
    return [
        {"seq": r.message.seq, "reporter": person(r.reporter), "reason": r.reason, "at": r.created_at.isoformat()}
        for r in found
    ]
