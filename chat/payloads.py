"""The JSON shapes of rooms and messages sent to clients (see docs/chat-protocol.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypedDict, overload

from server.accounts.models import User

from .attachments.payloads import AttachmentPayload
from .attachments.payloads import payloads as attachment_payloads
from .models import Message, Room

PROTOCOL_VERSION = 1
EXCERPT_CHARS = 120


class Person(TypedDict):
    """A user as clients see them: an author, a member, a reader."""

    id: int
    name: str
    username: str


class ReplyExcerpt(TypedDict):
    seq: int
    author: Person | None
    excerpt: str


class MessagePayload(TypedDict):
    id: int
    room: int
    seq: int
    author: Person | None
    client_id: str
    text: str
    reply_to: ReplyExcerpt | None
    mentions: list[int]
    attachments: list[AttachmentPayload]
    created_at: str
    edited_at: str | None
    deleted: bool
    change: int


class RoomPayload(TypedDict):
    id: int
    kind: str
    title: str
    group: int | None
    last_seq: int
    last_change: int
    role: str | None
    can_write: bool
    last_read_seq: int
    unread: int


def encode(frame: Mapping[str, object]) -> str:
    """Frames are encoded once and the same text is written to every recipient."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


@overload
def person(user: User) -> Person: ...
@overload
def person(user: None) -> None: ...
@overload
def person(user: User | None) -> Person | None: ...
def person(user: User | None) -> Person | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user), "username": user.username}


def message_payload(message: Message) -> MessagePayload:
    """``message`` must come with author and reply_to__author selected."""
    deleted = message.deleted_at is not None
    reply = message.reply_to
    return {
        "id": message.pk,
        "room": message.room_id,
        "seq": message.seq,
        "author": person(message.author),
        "client_id": message.client_id,
        "text": "" if deleted else message.text,
        "reply_to": None
        if reply is None
        else {
            "seq": reply.seq,
            "author": person(reply.author),
            "excerpt": "" if reply.deleted_at else reply.text[:EXCERPT_CHARS],
        },
        "mentions": message.mentions,
        "attachments": attachment_payloads(message),
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": deleted,
        "change": message.change_seq,
    }


def message_frame(message: Message) -> str:
    return encode({"type": "message", "message": message_payload(message)})


def updated_frame(message: Message) -> str:
    return encode({"type": "message.updated", "message": message_payload(message)})


def room_payload(room: Room, role: str | None, can_write: bool, last_read_seq: int, unread: int) -> RoomPayload:
    return {
        "id": room.pk,
        "kind": room.kind,
        "title": room.display_title,
        "group": room.group_id,
        "last_seq": room.last_seq,
        "last_change": room.last_change,
        "role": role,
        "can_write": can_write,
        "last_read_seq": last_read_seq,
        "unread": unread,
    }


MESSAGE_RELATED = ("author", "reply_to", "reply_to__author")
MESSAGE_PREFETCH = ("attachments",)
