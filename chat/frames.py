"""The frames the chat socket sends (docs/chat-protocol.md, "Server → client"), typed for the checker.

Frames of a room's stream (``message``, ``message.updated``, ``read``, ``typing``, ``muted``,
``presence``) are encoded once by the hub and written to every subscriber; the others answer one socket.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from .payloads import MessagePayload, Person, RoomPayload


class Member(Person):
    role: str
    last_read_seq: int
    muted_until: str | None


class Revision(TypedDict):
    action: str  # edit or delete
    old_text: str
    editor: Person | None
    at: str


class OpenReport(TypedDict):
    seq: int
    reporter: Person | None
    reason: str
    at: str


class HistoryPage(TypedDict):
    room: int
    messages: list[MessagePayload]
    more: bool


class Welcome(TypedDict):
    type: Literal["welcome"]
    version: int
    user: Person
    max_text_chars: int
    edit_window_seconds: int


class Rooms(TypedDict):
    type: Literal["rooms"]
    rooms: list[RoomPayload]


class Subscribed(TypedDict):
    type: Literal["subscribed"]
    room: int
    seq: int
    last_change: int
    role: str | None
    can_write: bool
    can_moderate: bool
    online: list[int]


class Unsubscribed(TypedDict):
    """The answer to ``unsubscribe``, or sent unasked when the user may no longer read the room."""

    type: Literal["unsubscribed"]
    room: int
    reason: NotRequired[Literal["access_lost"]]


class Ack(TypedDict):
    type: Literal["ack"]
    room: int
    client_id: str
    id: int
    seq: int
    duplicate: bool


class History(HistoryPage):
    type: Literal["history"]


class Read(TypedDict):
    type: Literal["read"]
    room: int
    user: int
    seq: int


class Receipts(TypedDict):
    type: Literal["receipts"]
    room: int
    seq: int
    readers: list[Person]


class Typing(TypedDict):
    type: Literal["typing"]
    room: int
    user: Person


class Presence(TypedDict):
    type: Literal["presence"]
    room: int
    online: list[int]
    offline: list[int]


class Muted(TypedDict):
    type: Literal["muted"]
    room: int
    user: int
    until: str | None


class Done(TypedDict):
    """Edit, delete and report name the message (``seq``); mute names the member (``user``, ``until``)."""

    type: Literal["done"]
    op: Literal["edit", "delete", "report"]
    room: int
    seq: int


class MuteDone(TypedDict):
    type: Literal["done"]
    op: Literal["mute"]
    room: int
    user: int
    until: str | None


class Revisions(TypedDict):
    type: Literal["revisions"]
    room: int
    seq: int
    revisions: list[Revision]


class Reports(TypedDict):
    type: Literal["reports"]
    room: int
    reports: list[OpenReport]


class Members(TypedDict):
    type: Literal["members"]
    room: int
    members: list[Member]


class RoomFrame(TypedDict):
    type: Literal["room"]
    room: RoomPayload


class MessageFrame(TypedDict):
    type: Literal["message", "message.updated"]
    message: MessagePayload
