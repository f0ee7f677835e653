"""One socket per tab that receives the user's notifications, on any daphne process."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from server.ws import JsonProtocolConsumer, ProtocolError

from .delivery import mark_read, new_event, user_group

MAX_IDS = 500


class NotificationConsumer(JsonProtocolConsumer):
    async def connect(self) -> None:
        self.group = user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content["type"] != "notification.mark_read":
            raise ProtocolError("unknown_type", f"unknown message type {content['type']!r}")
        ids = content.get("ids")
        if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(type(i) is int for i in ids):
            raise ProtocolError("bad_field", f"ids: a list of at most {MAX_IDS} integers")
        await database_sync_to_async(mark_read)(self.scope["user"], ids)

    async def notification_event(self, message: dict) -> None:
        event = message["event"]
        if event["type"] == "notification.new":  # rendered here, in this connection's language
            event = await database_sync_to_async(new_event)(self.scope["user"], event["id"])
        if event is not None:
            await self.send_json(event)
