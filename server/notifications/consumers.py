"""One socket per tab that receives the user's notifications, on any daphne process (docs/notifications-protocol.md)."""

from __future__ import annotations

from channels.db import database_sync_to_async

from server.ws import JsonProtocolConsumer, RateLimit

from .delivery import mark_read, new_event, user_group
from .protocol import SCHEMAS
from .snapshots import frames_for


class NotificationConsumer(JsonProtocolConsumer):
    schemas = SCHEMAS
    frame_limit = RateLimit("notification messages", 60, 10)

    async def connect(self) -> None:
        self.group = user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.following_counters = False
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def on_notification_mark_read(self, ids: list[int]) -> None:
        """Every tab of the user (this one too) then hears ``notification.read`` with the ids that changed."""
        await database_sync_to_async(mark_read)(self.scope["user"], ids)

    async def on_counters_follow(self) -> None:
        """From now on this tab also hears the counters (chat.unread…), starting with their current state.

        Opt-in, so a client written before the counters existed gets only the notification frames it knows."""
        self.following_counters = True
        for frame in await database_sync_to_async(frames_for)(self.scope["user"]):
            await self.send_json(frame)

    async def notification_event(self, message: dict) -> None:
        event = message["event"]
        if not event["type"].startswith("notification.") and not self.following_counters:
            return
        if event["type"] == "notification.new":  # rendered here, in this connection's language
            event = await database_sync_to_async(new_event)(self.scope["user"], event["id"])
        if event is not None:
            await self.send_json(event)
