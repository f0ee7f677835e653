"""Binding uploads to the message a ``send`` frame stores (called by chat.actions.post_message)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chat.models import Message, Room
from server.accounts.models import User
from server.ws import ProtocolError

from .conf import LIMITS
from .models import Attachment


def check_claim(user: User, room: Room, ids: Sequence[int]) -> list[int]:
    """The attachment ids a ``send`` may bind: the sender's own unbound uploads to this room."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > LIMITS.per_message:
        raise ProtocolError("bad_field", f"send.attachments: at most {LIMITS.per_message} per message")
    if not all(type(i) is int and i > 0 for i in wanted):
        raise ProtocolError("bad_field", "send.attachments: a list of attachment ids")
    found = set(
        Attachment.objects.filter(pk__in=wanted, room=room, uploader=user, message__isnull=True).values_list(
            "pk", flat=True
        )
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ProtocolError("bad_attachment", f"attachment {missing[0]} is not your unsent upload to this room")
    return wanted


def bind(message: Message, ids: Iterable[int]) -> None:
    """Attach the claimed uploads to ``message`` (inside the transaction that stores it)."""
    ids = list(ids)
    if not ids:
        return
    bound = Attachment.objects.filter(pk__in=ids, room_id=message.room_id, message__isnull=True).update(message=message)
    if bound != len(ids):  # another send bound one of them meanwhile: roll the message back
        raise ProtocolError("bad_attachment", "an attachment was already sent with another message")
