"""Everything that changes chat data — post, edit, delete, read, report, mute — each publishing its own event.

Why (Zulip's rule, as in :mod:`proctor.actions`): when the consumer stored first and published after, a
message posted anywhere else (a view, a command, another app) reached the open sockets only through the hubs'
once-a-second tail check, and edits, deletions, read receipts and mutes not at all. Here each function writes
and hands its frame to :func:`server.events.publish_on_commit`, so every caller's change reaches the sockets,
and nothing leaves for a write that rolled back.

Publishing: the frame is encoded once, here, in the database thread (the event loop only writes it). On
commit :func:`chat.hub.publish_committed` runs on the process's event loop — scheduled from the database thread
without waiting, and started before the awaiting consumer resumes, so a sender still gets the ``message`` frame
before its ``ack`` — and the process's hub writes it to its sockets and tells the other processes' hubs over
the channel layer without making anyone wait for Redis. Called from code without an event loop (a command),
it goes straight to the other processes' hubs. Messages carry their seq: hubs deliver them in order and read
any that never arrive from the database (:mod:`chat.hub`).

Plain synchronous functions (the consumer runs them through ``database_sync_to_async``). Each checks the
user's rights on the room first and raises :class:`server.ws.ProtocolError` with a stable code when something
is not allowed.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import Literal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_noop

from server.accounts import audit
from server.accounts.models import Role, User
from server.events import publish_on_commit
from server.notifications.delivery import notify
from server.ws import ProtocolError

from . import frames, unread
from .access import RoomAccess
from .attachments import binding as attachment_binding
from .conf import LIMITS
from .hub import publish_committed
from .models import Membership, Message, MessageRevision, Report, Room
from .new_message import checks_rights_itself, store_checked, store_message
from .payloads import MESSAGE_PREFETCH, MESSAGE_RELATED, encode, message_frame, updated_frame
from .rooms import direct_key, open_direct
from .sla.clock import WATCHED_ROOMS
from .store import check_text, get_message, load_room, writable_room

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def _publish(room_id: int, kind: Literal["message", "update", "event"], text: str, seq: int = 0) -> None:
    publish_on_commit(lambda: publish_committed(room_id, kind, text, seq))


def post_message(
    user: User,
    room_id: int,
    client_id: str,
    text: str,
    reply_to: int | None = None,
    attachments: list[int] | None = None,
    known: tuple[Room, RoomAccess] | None = None,
) -> tuple[Message, bool]:
    """Store a message and give it the room's next seq; returns (message, was_duplicate).

    ``known``: the room and the sender's access as the socket read them (its subscription, narrowed by rights
    changes). Where the storing statement checks the right to write itself (PostgreSQL) they are not read again;
    if that check refuses (muted or removed since), the rights are read and the refusal explained as usual.

    Resending the same ``client_id`` returns the stored message instead of a second copy. The stored copy is
    looked for only when the message cannot be stored (the unique client id refused it, or a check refused the
    resend): a new message — nearly every send — costs one statement to read the room and the sender's
    membership and one to store it with its seq and the sender's read position (:mod:`chat.new_message`; three
    on SQLite).
    """
    trusted = known is not None and known[1].write and checks_rights_itself()
    room, access = known if trusted and known else writable_room(user, room_id)
    try:
        text = check_text(text)
        reply = get_message(room, reply_to) if reply_to is not None else None
        mentioned = _mentioned_members(room, user, text)
        claimed = attachment_binding.check_claim(user, room, attachments) if attachments else []
    except ProtocolError:  # a resend of a stored message gets it back, whatever changed since
        if found := _stored(room, user, client_id):
            return found, True
        raise
    try:
        with _storing(trusted and not claimed and room.kind not in WATCHED_ROOMS):
            if trusted:
                admin = user.has_role(Role.ADMIN)
                stored = store_checked(room, user, access.membership, admin, client_id, text, reply, mentioned)
                if stored is None:
                    raise _RightsChanged
                message = stored
            else:
                message = store_message(room, user, access.membership, client_id, text, reply, mentioned)
            attachment_binding.bind(message, claimed)
    except _RightsChanged:  # since the socket read them: read them again, and say why (or store after all)
        return post_message(user, room_id, client_id, text, reply_to, attachments)
    except IntegrityError:  # the same client id: a resend, or the same message from another tab or process
        if found := _stored(room, user, client_id):
            return found, True
        raise
    if mentioned:
        for member in User.objects.filter(pk__in=mentioned):
            notify(member, "chat.mention", f"{user}: {text[:300]}", unread.message_link(room.pk, message.seq))
    message.author, message.reply_to = user, reply
    if claimed:
        prefetch_related_objects([message], *MESSAGE_PREFETCH)
    else:  # a new message without uploads has none: spare the query (and the compiling of an empty one)
        none = message.attachments.none()
        none._result_cache, none._prefetch_done = [], True  # type: ignore[attr-defined]  # as prefetching stores
        message._prefetched_objects_cache = {"attachments": none}  # type: ignore[attr-defined]
    _publish(room.pk, "message", message_frame(message), message.seq)
    unread.after_message(user, room.pk, message.seq)
    return message, False


def _storing(one_statement: bool) -> AbstractContextManager[object]:
    """The transaction a new message is stored in. A message stored by one statement (rights checked by it, no
    uploads to bind, no answer clock to move: chat.sla writes its questions in the message's transaction) needs
    none of its own when there is none around it (autocommit): the statement alone is atomic, and BEGIN and COMMIT
    would be two more round trips to the database."""
    if one_statement and connection.get_autocommit():
        return nullcontext()
    return transaction.atomic()


class _RightsChanged(Exception):
    """The storing statement found that the sender may no longer write in the room."""


def _stored(room: Room, author: User, client_id: str) -> Message | None:
    return (
        Message.objects.select_related(*MESSAGE_RELATED).filter(room=room, author=author, client_id=client_id).first()
    )


def _mentioned_members(room: Room, author: User, text: str) -> list[int]:
    names = set(MENTION.findall(text))
    if not names:
        return []
    members = Membership.objects.filter(room=room, user__username__in=names).exclude(user=author)
    return sorted(members.values_list("user_id", flat=True))


def _may_change(user: User, access: RoomAccess, message: Message) -> None:
    if message.deleted_at is not None:
        raise ProtocolError("deleted", "the message was deleted")
    if access.moderate:
        return
    if message.author_id != user.pk or not access.write:
        raise ProtocolError("forbidden", "only the author or a moderator may change this message")
    if timezone.now() - message.created_at > timedelta(seconds=LIMITS.edit_window_seconds):
        raise ProtocolError("too_late", f"authors may change a message for {LIMITS.edit_window_seconds} seconds")


def _next_change(room: Room) -> int:
    Room.objects.filter(pk=room.pk).update(last_change=F("last_change") + 1)
    return Room.objects.values_list("last_change", flat=True).get(pk=room.pk)


def edit_message(user: User, room_id: int, seq: int, text: str) -> Message:
    room, access = load_room(user, room_id)
    message = get_message(room, seq)
    _may_change(user, access, message)
    text = check_text(text)
    with transaction.atomic():
        MessageRevision.objects.create(
            message=message, action=MessageRevision.Action.EDIT, old_text=message.text, editor=user
        )
        message.text, message.edited_at, message.change_seq = text, timezone.now(), _next_change(room)
        message.save(update_fields=["text", "edited_at", "change_seq"])
    _publish(room.pk, "update", updated_frame(message), seq)
    return message


def delete_message(user: User, room_id: int, seq: int) -> Message:
    room, access = load_room(user, room_id)
    message = get_message(room, seq)
    _may_change(user, access, message)
    with transaction.atomic():
        MessageRevision.objects.create(
            message=message, action=MessageRevision.Action.DELETE, old_text=message.text, editor=user
        )
        message.deleted_at, message.change_seq = timezone.now(), _next_change(room)
        message.save(update_fields=["deleted_at", "change_seq"])
        if message.author_id != user.pk:
            audit.record("chat.message_deleted", actor=user, subject=message.author, room=room.pk, seq=seq)
    _publish(room.pk, "update", updated_frame(message), seq)
    unread.publish_room(room.pk)
    return message


def mark_read(user: User, room_id: int, seq: int) -> int | None:
    """Move the user's read position forward (never back); returns the new position or None if unchanged."""
    room, access = load_room(user, room_id)
    seq = min(seq, room.last_seq)
    if access.membership is None or seq <= access.membership.last_read_seq:
        return None
    Membership.objects.filter(pk=access.membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    read: frames.Read = {"type": "read", "room": room.pk, "user": user.pk, "seq": seq}
    _publish(room.pk, "event", encode(read))
    unread.publish_room(room.pk, [user.pk])
    unread.dismiss_read(user, room.pk, seq)
    return seq


@transaction.atomic
def report_message(user: User, room_id: int, seq: int, reason: str) -> Report:
    """Report a message to the room's moderators: their notifications are pushed once the report commits."""
    room, access = load_room(user, room_id)
    if access.membership is None:
        raise ProtocolError("forbidden", "only members report messages")
    message = get_message(room, seq)
    report, created = Report.objects.get_or_create(message=message, reporter=user, defaults={"reason": reason[:500]})
    if created:
        moderators = User.objects.filter(
            chat_memberships__room=room, chat_memberships__role=Membership.Role.MODERATOR
        ).exclude(pk=user.pk)
        for moderator in moderators:
            notify(
                moderator,
                "chat.report",
                gettext_noop("Жалоба на сообщение в чате «%(room)s»"),
                unread.message_link(room.pk, seq),
                params={"room": room.title},
            )
    return report


@transaction.atomic
def mute_member(user: User, room_id: int, target_id: int, minutes: int) -> Membership:
    room, access = load_room(user, room_id)
    if not access.moderate:
        raise ProtocolError("forbidden", "only moderators mute members")
    membership = Membership.objects.select_related("user").filter(room=room, user_id=target_id).first()
    if membership is None:
        raise ProtocolError("not_found", f"user {target_id} is not a member of room {room_id}")
    if membership.role == Membership.Role.MODERATOR:
        raise ProtocolError("forbidden", "moderators cannot be muted")
    membership.muted_until = timezone.now() + timedelta(minutes=minutes) if minutes > 0 else None
    membership.save(update_fields=["muted_until"])
    audit.record("chat.member_muted", actor=user, subject=membership.user, room=room.pk, minutes=minutes)
    until = membership.muted_until.isoformat() if membership.muted_until else None
    muted: frames.Muted = {"type": "muted", "room": room.pk, "user": target_id, "until": until}
    _publish(room.pk, "event", encode(muted))
    return membership


def open_direct_chat(user: User, other: User) -> Room:
    """The private chat of two people (see :func:`chat.rooms.open_direct`); the other person's open pages hear
    of it at once when it is new to them, instead of after a reload."""
    known = Membership.objects.filter(
        room__kind=Room.Kind.DIRECT, room__key=direct_key(user.pk, other.pk), user=other
    ).exists()
    room = open_direct(user, other)
    if not known:
        unread.publish_room_added(room.pk, other.pk)
    return room
