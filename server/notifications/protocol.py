"""The notifications socket protocol (docs/notifications-protocol.md)."""

from __future__ import annotations

from typing import Literal, TypedDict

from server.ws import Int, ListOf, Schema

MAX_IDS = 500

SCHEMAS: dict[str, Schema] = {
    "notification.mark_read": {"ids": ListOf(item=Int(min=1), max=MAX_IDS)},
    "counters.follow": {},
}


class NotificationPayload(TypedDict):
    id: int
    kind: str
    text: str  # in the socket's language
    url: str
    created_at: str
    read: bool


class NewNotification(TypedDict):
    type: Literal["notification.new"]
    notification: NotificationPayload


class NotificationsRead(TypedDict):
    """Notifications marked read (from any tab of the user): every tab updates its list."""

    type: Literal["notification.read"]
    ids: list[int]
