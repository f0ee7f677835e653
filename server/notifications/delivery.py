"""Persist a notification, then push it to every open tab of its user.

Storing first means a user who is offline (or whose socket is on another
daphne process) loses nothing: the home page lists unread notifications and
the socket pushes only what happens while it is open.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from channels.layers import get_channel_layer
from django.utils import timezone

from server.accounts.models import User
from server.events import publish_on_commit

from .models import Notification
from .protocol import NewNotification, NotificationsRead

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def push(user_id: int, event: Mapping[str, object]) -> None:
    """Send an event to the user's open sockets on every process, once the write behind it commits."""
    push_each([(user_id, event)])


def push_each(events: Sequence[tuple[int, Mapping[str, object]]]) -> None:
    """:func:`push` of many (user id, event) pairs, handed to the event loop at once (chat's unread counts
    reach every member of a room together)."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    sends = [(user_group(user_id), {"type": "notification.event", "event": event}) for user_id, event in events]

    async def send_all() -> None:
        for group, message in sends:
            try:
                await layer.group_send(group, message)
            except Exception:  # one user's failure is not the others'
                log.exception("a notification event to %s could not be sent", group)

    publish_on_commit(send_all)


def notify(user: User, kind: str, text: str, url: str = "", params: dict[str, str] | None = None) -> Notification:
    """Store and push a notification; with ``params``, ``text`` is a message translated when shown (see the model).

    Only the id travels: each open tab renders the notification in its own language (:func:`new_event`).
    """
    notification = Notification.objects.create(user=user, kind=kind, text=text[:500], params=params, url=url[:300])
    push(user.pk, {"type": "notification.new", "id": notification.pk})
    return notification


def new_event(user: User, notification_id: int) -> NewNotification | None:
    """The ``notification.new`` frame for one of the user's notifications, in the active language."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    return None if notification is None else {"type": "notification.new", "notification": notification.as_event()}


def mark_read(user: User, ids: list[int]) -> list[int]:
    """Mark the user's own notifications read; return the ids that changed."""
    unread = Notification.objects.filter(user=user, pk__in=ids, read_at__isnull=True)
    changed = list(unread.values_list("pk", flat=True))
    unread.update(read_at=timezone.now())
    if changed:
        read: NotificationsRead = {"type": "notification.read", "ids": changed}
        push(user.pk, read)
    return changed
