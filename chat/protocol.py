"""Chat's client → server messages: the schema of each type (docs/chat-protocol.md lists the same).

The kit in :mod:`server.ws` checks every frame against these before :class:`chat.consumers.ChatConsumer`
handles it: a frame with an unknown type, a missing or unknown field or a value of the wrong type or size
is refused with an error frame naming the field.
"""

from __future__ import annotations

from server.ws import Int, ListOf, Object, Schema, Str

from .conf import LIMITS, REPORT_REASON_MAX_CHARS, SUBSCRIBE_MAX_ROOMS

ROOM = Int(min=1)
SEQ = Int(min=1)
USER = Int(min=1)
TEXT = Str(min=1, max=LIMITS.max_text_chars)
MAX_MUTE_MINUTES = 7 * 24 * 60

SUBSCRIPTION = Object(fields={"room": ROOM, "after": Int(required=False), "changes_after": Int(required=False)})

SCHEMAS: dict[str, Schema] = {
    "ping": {},
    "rooms": {},
    "subscribe": {"rooms": ListOf(item=SUBSCRIPTION, min=1, max=SUBSCRIBE_MAX_ROOMS)},
    "unsubscribe": {"room": ROOM},
    "send": {
        "room": ROOM,
        "client_id": Str(min=1, max=64),
        "text": TEXT,
        "reply_to": Int(required=False, min=1),
        # ids from POST /chat/rooms/<id>/attachments/
        "attachments": ListOf(required=False, item=Int(min=1), max=10),
    },
    "history": {
        "room": ROOM,
        "before": Int(required=False, min=1),
        "limit": Int(required=False, default=50, min=1, max=100),
    },
    "read": {"room": ROOM, "seq": SEQ},
    "receipts": {"room": ROOM, "seq": SEQ},
    "typing": {"room": ROOM},
    "edit": {"room": ROOM, "seq": SEQ, "text": TEXT},
    "delete": {"room": ROOM, "seq": SEQ},
    "revisions": {"room": ROOM, "seq": SEQ},
    "report": {"room": ROOM, "seq": SEQ, "reason": Str(required=False, default="", max=REPORT_REASON_MAX_CHARS)},
    "reports": {"room": ROOM},
    "members": {"room": ROOM},
    "mute": {"room": ROOM, "user": USER, "minutes": Int(min=0, max=MAX_MUTE_MINUTES)},
    "open_direct": {"user": USER},
}
