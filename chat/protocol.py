"""The client → server message schemas and their validation (docs/chat-protocol.md lists the same).

Each type has a fixed set of fields; a frame with an unknown type, a missing or unknown field or a
value of the wrong type or size is refused with an error frame naming the field. ``ref`` (string or
integer, optional on every message) is echoed in the reply so clients can match answers to requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.ws import ProtocolError

from .conf import LIMITS, REPORT_REASON_MAX_CHARS, SUBSCRIBE_MAX_ROOMS
from .payloads import PROTOCOL_VERSION

MAX_ID = 2**53  # JavaScript's safe integers


@dataclass(frozen=True)
class Field:
    kind: type  # int, str, list or bool
    required: bool = True
    min: int = 0  # integers: smallest value; strings and lists: shortest length
    max: int = MAX_ID  # integers: largest value; strings and lists: longest length

    def check(self, name: str, value: Any) -> Any:
        if self.kind is int:
            if type(value) is not int:
                raise ProtocolError("bad_field", f"{name}: expected an integer")
            if not self.min <= value <= self.max:
                raise ProtocolError("bad_field", f"{name}: must be between {self.min} and {self.max}")
        elif self.kind is str:
            if not isinstance(value, str):
                raise ProtocolError("bad_field", f"{name}: expected a string")
            if not self.min <= len(value) <= self.max:
                raise ProtocolError("bad_field", f"{name}: length must be between {self.min} and {self.max}")
        elif self.kind is list:
            if not isinstance(value, list):
                raise ProtocolError("bad_field", f"{name}: expected a list")
            if not self.min <= len(value) <= self.max:
                raise ProtocolError("bad_field", f"{name}: must have between {self.min} and {self.max} items")
        return value


ROOM = Field(int, min=1)
SEQ = Field(int, min=1)
TEXT = Field(str, min=1, max=LIMITS.max_text_chars)

SCHEMAS: dict[str, dict[str, Field]] = {
    "ping": {},
    "rooms": {},
    "subscribe": {"rooms": Field(list, min=1, max=SUBSCRIBE_MAX_ROOMS)},
    "unsubscribe": {"room": ROOM},
    "send": {
        "room": ROOM,
        "client_id": Field(str, min=1, max=64),
        "text": TEXT,
        "reply_to": Field(int, False, 1),
        "attachments": Field(list, False, 0, 10),  # ids from POST /chat/rooms/<id>/attachments/
    },
    "history": {"room": ROOM, "before": Field(int, False, 1), "limit": Field(int, False, 1, 100)},
    "read": {"room": ROOM, "seq": SEQ},
    "receipts": {"room": ROOM, "seq": SEQ},
    "typing": {"room": ROOM},
    "edit": {"room": ROOM, "seq": SEQ, "text": TEXT},
    "delete": {"room": ROOM, "seq": SEQ},
    "revisions": {"room": ROOM, "seq": SEQ},
    "report": {"room": ROOM, "seq": SEQ, "reason": Field(str, False, 0, REPORT_REASON_MAX_CHARS)},
    "reports": {"room": ROOM},
    "members": {"room": ROOM},
    "mute": {"room": ROOM, "user": Field(int, min=1), "minutes": Field(int, min=0, max=7 * 24 * 60)},
    "open_direct": {"user": Field(int, min=1)},
}

SUBSCRIPTION: dict[str, Field] = {"room": ROOM, "after": Field(int, False, 0), "changes_after": Field(int, False, 0)}
COMMON = {"type", "ref", "v"}


def check_fields(where: str, content: dict[str, Any], schema: dict[str, Field]) -> dict[str, Any]:
    unknown = sorted(set(content) - set(schema) - COMMON)
    if unknown:
        raise ProtocolError("unknown_field", f"{where}: unknown field {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in content or content[name] is None:
            if field.required:
                raise ProtocolError("missing_field", f"{where}.{name}: required")
            values[name] = None
            continue
        values[name] = field.check(f"{where}.{name}", content[name])
    return values


def validate(content: dict[str, Any]) -> dict[str, Any]:
    """Return the message's fields (absent optional ones as None) or raise ProtocolError."""
    kind = content["type"]
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}")
    if content.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", f"this server speaks protocol version {PROTOCOL_VERSION}")
    ref = content.get("ref")
    if ref is not None and not (isinstance(ref, str) and len(ref) <= 64) and type(ref) is not int:
        raise ProtocolError("bad_field", "ref: a string of at most 64 characters or an integer")
    values = check_fields(kind, content, schema)
    if kind == "subscribe":
        entries = []
        for index, entry in enumerate(values["rooms"]):
            if not isinstance(entry, dict):
                raise ProtocolError("bad_field", f"subscribe.rooms[{index}]: expected an object")
            entries.append(check_fields(f"subscribe.rooms[{index}]", entry, SUBSCRIPTION))
        values["rooms"] = entries
    return values
