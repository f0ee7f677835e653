"""Finding a room or message for a user, with their rights checked, and checking a text before it is stored.

Shared by :mod:`chat.actions` (the writes) and :mod:`chat.queries` (the reads): plain synchronous functions
that raise :class:`server.ws.ProtocolError` with a stable code when something is not allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from django.db import connection, models
from django.utils import timezone

from server.accounts.models import User
from server.ws import ProtocolError

from .access import RoomAccess, access_as
from .conf import LIMITS
from .models import Membership, Message, Room
from .moderation import check as check_language
from .payloads import MESSAGE_PREFETCH, MESSAGE_RELATED


class MessageBlocked(ProtocolError):
    """The polite-language filter refused the text; ``reason`` is Russian, ``reason_en`` English.

    The error frame carries both and the refused message's ``client_id`` (null for an edit).
    """

    def __init__(self, reason: str, reason_en: str, client_id: str | None = None) -> None:
        super().__init__("blocked", reason_en, reason=reason, reason_en=reason_en, client_id=client_id)
        self.reason = reason
        self.reason_en = reason_en


def _row_reader(model: type[models.Model], alias: str) -> tuple[str, Callable[[Sequence[Any]], Any]]:
    """The select list of ``model``'s columns (table alias ``alias``) and a function making an instance of them.

    A hand-written statement skips the ORM's compilation, which costs more CPU than PostgreSQL's whole answer
    (docs/benchmarks.md, "Chat send path"). Datetimes come naive from SQLite (stored in UTC), aware from
    PostgreSQL: both become aware, as the ORM makes them.
    """
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    moments = [isinstance(field, models.DateTimeField) for field in fields]

    def instance(values: Sequence[Any]) -> Any:
        converted = [
            timezone.make_aware(value, UTC) if moment and value is not None and timezone.is_naive(value) else value
            for value, moment in zip(values, moments, strict=True)
        ]
        return model.from_db(None, names, converted)

    return ", ".join(f'{alias}."{field.column}"' for field in fields), instance


_ROOM_COLUMNS, _room = _row_reader(Room, "r")
_MEMBERSHIP_COLUMNS, _membership = _row_reader(Membership, "m")
_ROOM_WIDTH = len(Room._meta.concrete_fields)
ROOM_WITH_MEMBERSHIP = (
    f"SELECT {_ROOM_COLUMNS}, {_MEMBERSHIP_COLUMNS} FROM {Room._meta.db_table} r "  # noqa: S608 - names from the models
    f"LEFT JOIN {Membership._meta.db_table} m ON m.room_id = r.id AND m.user_id = %s WHERE r.id = %s"
)


def room_and_membership(user: User, room_id: int) -> tuple[Room | None, Membership | None]:
    """The room and the user's membership of it, in one statement (every chat request starts here)."""
    with connection.cursor() as cursor:
        cursor.execute(ROOM_WITH_MEMBERSHIP, [user.pk, room_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    room = _room(row[:_ROOM_WIDTH])
    if row[_ROOM_WIDTH] is None:
        return room, None
    membership = _membership(row[_ROOM_WIDTH:])
    membership.room = room
    return room, membership


def load_room(user: User, room_id: int) -> tuple[Room, RoomAccess]:
    room, membership = room_and_membership(user, room_id) if user.is_authenticated else (None, None)
    if room is None:
        if not Room.objects.filter(pk=room_id).exists():
            raise ProtocolError("not_found", f"room {room_id} does not exist")
        raise ProtocolError("forbidden", f"you are not a member of room {room_id}")
    access = access_as(user, membership)
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
