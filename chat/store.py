"""Everything that changes chat data: post, edit, delete, read, report, mute.

These are plain synchronous functions (the consumer runs them in the database thread pool,
the HTTP views call them directly). Each checks the user's rights on the room first and raises
:class:`server.ws.ProtocolError` with a stable code when something is not allowed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_noop

from server.accounts import audit
from server.accounts.models import User
from server.notifications.delivery import notify
from server.ws import ProtocolError

from .access import RoomAccess, room_access
from .attachments import binding as attachment_binding
from .conf import LIMITS
from .models import Membership, Message, MessageRevision, Report, Room
from .moderation import check as check_language
from .payloads import MESSAGE_PREFETCH, MESSAGE_RELATED

MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


class MessageBlocked(ProtocolError):
    """The polite-language filter refused the text; ``reason`` is Russian, ``reason_en`` English.

    The error frame carries both and the refused message's ``client_id`` (null for an edit).
    """

    def __init__(self, reason: str, reason_en: str, client_id: str | None = None) -> None:
        super().__init__("blocked", reason_en, reason=reason, reason_en=reason_en, client_id=client_id)
        self.reason = reason
        self.reason_en = reason_en


def load_room(user: User, room_id: int) -> tuple[Room, RoomAccess]:
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise ProtocolError("not_found", f"room {room_id} does not exist")
    access = room_access(user, room)
    if not access.read:
        raise ProtocolError("forbidden", f"you are not a member of room {room_id}")
    return room, access


def writable_room(user: User, room_id: int) -> tuple[Room, RoomAccess]:
    room, access = load_room(user, room_id)
    if not access.write:
        raise ProtocolError("read_only", "you may read this room but not write to it")
    if access.muted_until and not access.moderate:
        raise ProtocolError("muted", f"a moderator muted you in this room until {access.muted_until.isoformat()}")
    return room, access


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ProtocolError("bad_field", "text: must not be empty")
    if len(text) > LIMITS.max_text_chars:
        raise ProtocolError("too_long", f"text: at most {LIMITS.max_text_chars} characters")
    verdict = check_language(text)
    if not verdict.ok:
        raise MessageBlocked(verdict.reason, verdict.reason_en)
    return text


def get_message(room: Room, seq: int) -> Message:
    message = (
        Message.objects.select_related(*MESSAGE_RELATED).prefetch_related(*MESSAGE_PREFETCH).filter(room=room, seq=seq)
    ).first()
    if message is None:
        raise ProtocolError("not_found", f"message {seq} does not exist in room {room.pk}")
    return message


def post_message(
    user: User, room_id: int, client_id: str, text: str, reply_to: int | None = None, attachments: list | None = None
) -> tuple[Message, bool]:
    """Store a message and give it the room's next seq; returns (message, was_duplicate).

    Resending the same ``client_id`` returns the stored message instead of a second copy.
    """
    room, _ = writable_room(user, room_id)
    existing = Message.objects.select_related(*MESSAGE_RELATED).filter(room=room, author=user, client_id=client_id)
    if found := existing.first():
        return found, True
    text = check_text(text)
    reply = get_message(room, reply_to) if reply_to is not None else None
    mentioned = _mentioned_members(room, user, text)
    claimed = attachment_binding.check_claim(user, room, attachments) if attachments else []
    try:
        with transaction.atomic():
            seq = _next_seq(room)
            message = Message.objects.create(
                room=room, seq=seq, author=user, client_id=client_id, text=text, reply_to=reply, mentions=mentioned
            )
            attachment_binding.bind(message, claimed)
            Membership.objects.filter(room=room, user=user, last_read_seq__lt=seq).update(last_read_seq=seq)
    except IntegrityError:  # the same client id raced in from another tab or process
        if found := existing.first():
            return found, True
        raise
    for member in User.objects.filter(pk__in=mentioned):
        notify(member, "chat.mention", f"{user}: {text[:300]}", f"/chat/?room={room.pk}&seq={seq}")
    message.author, message.reply_to = user, reply
    if claimed:
        prefetch_related_objects([message], *MESSAGE_PREFETCH)  # the frame is encoded in async code
    else:  # a new message without uploads has none: spare the query
        message._prefetched_objects_cache = {"attachments": message.attachments.none()}
    return message, False


def _next_seq(room: Room) -> int:
    """Allocate the room's next seq in one statement (the row stays locked until the transaction ends)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [room.pk],
        )
        return cursor.fetchone()[0]


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
    return message


def mark_read(user: User, room_id: int, seq: int) -> int | None:
    """Move the user's read position forward (never back); returns the new position or None if unchanged."""
    room, access = load_room(user, room_id)
    seq = min(seq, room.last_seq)
    if access.membership is None or seq <= access.membership.last_read_seq:
        return None
    Membership.objects.filter(pk=access.membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    return seq


def report_message(user: User, room_id: int, seq: int, reason: str) -> Report:
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
                f"/chat/?room={room.pk}&seq={seq}",
                params={"room": room.title},
            )
    return report


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
    return membership
