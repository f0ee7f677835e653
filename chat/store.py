"""Finding a room or message for a user, with their rights checked, and checking a text before it is stored.

Shared by :mod:`chat.actions` (the writes) and :mod:`chat.queries` (the reads): plain synchronous functions
that raise :class:`server.ws.ProtocolError` with a stable code when something is not allowed.
"""

from __future__ import annotations

from server.accounts.models import User
from server.ws import ProtocolError

from .access import RoomAccess, room_access
from .conf import LIMITS
from .models import Message, Room
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
