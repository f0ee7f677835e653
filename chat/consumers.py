"""``/ws/chat/``: one socket per browser tab, multiplexing every room the user opens.

The protocol is documented in docs/chat-protocol.md; the schemas live in :mod:`chat.protocol`, the
frames sent in :mod:`chat.frames`. Room events reach this socket through the process's
:class:`chat.hub.Hub`, which writes them directly — a socket has no channel-layer channel of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from server.accounts.models import User
from server.ws import PONG, JsonProtocolConsumer, Pong, ProtocolError, RateLimit

from . import actions, frames, queries, store
from .access import RoomAccess
from .conf import LIMITS
from .hub import Hub, get_hub
from .models import Room
from .payloads import PROTOCOL_VERSION, RoomPayload, person
from .protocol import SCHEMAS
from .rooms import DirectChatForbidden
from .wire import DirectWriter, Frame

USER_SENDS = RateLimit("messages from you", *LIMITS.user_rate)
ROOM_SENDS = RateLimit("messages in this room", *LIMITS.room_rate)
TYPING = RateLimit("typing notices", *LIMITS.typing_rate)
READS = RateLimit("read receipts", 10, 5)
CHANGES = RateLimit("requests", 60, 10)

db = database_sync_to_async


class ChatConsumer(JsonProtocolConsumer):
    schemas = SCHEMAS
    protocol_version = PROTOCOL_VERSION
    # No channel-layer channel per socket: the hub holds one per process (see chat/hub.py).
    channel_layer_alias = "chat.no-channel-per-socket"

    async def connect(self) -> None:
        self.user: User = self.scope["user"]
        self.user_id = self.user.pk
        self.delivered: dict[int, int] = {}
        self.access: dict[int, RoomAccess] = {}  # subscribed rooms
        # Rooms this socket subscribed to or sent to, as read then: a send does not read them again
        # (chat.actions.post_message checks the right to write as it stores); rights changes renew them.
        self.known: dict[int, tuple[Room, RoomAccess]] = {}
        self.hub: Hub = await get_hub()
        await self.accept()
        self.direct = DirectWriter.behind(self.base_send)
        welcome: frames.Welcome = {
            "type": "welcome",
            "version": PROTOCOL_VERSION,
            "user": person(self.user),
            "max_text_chars": LIMITS.max_text_chars,
            "edit_window_seconds": LIMITS.edit_window_seconds,
        }
        await self.send_json(welcome)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "hub"):
            await self.hub.leave_all(self)

    def push(self, frame: Frame) -> Awaitable[None] | None:
        """Called by the hub with an already encoded frame: straight to the socket when possible."""
        if self.direct is not None:
            self.direct.write(frame)
            return None
        return self.base_send(frame.asgi)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False) -> None:
        """The socket's own replies (``ack``, ``subscribed``, errors …) take the hub's way too, behind anything
        written before them: autobahn's framing and debug-log formatting cost more than the write itself."""
        direct = getattr(self, "direct", None)  # None until connect() has accepted
        if direct is not None and text_data is not None and not close:
            direct.write(Frame(text_data))
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def rights_changed(self, user: User) -> None:
        """The user's rights changed (server.ws.rights): rooms no longer readable are dropped, with
        ``unsubscribed`` and reason ``access_lost``; the others keep going with their new access."""
        self.user = user
        if hasattr(self, "known"):  # not while connect() has not run yet
            self.known.clear()
        for room_id in list(getattr(self, "access", ())):  # () while connect() has not run yet
            try:
                room, access = await db(store.load_room)(user, room_id)
            except ProtocolError:
                self.access.pop(room_id, None)
                await self.hub.leave(self, room_id)
                lost: frames.Unsubscribed = {"type": "unsubscribed", "room": room_id, "reason": "access_lost"}
                await self.send_json(lost)
            else:
                if room_id in self.access:
                    self.access[room_id] = access
                    self.known[room_id] = (room, access)

    def subscribed_access(self, room: int) -> RoomAccess:
        access = self.access.get(room)
        if access is None:
            raise ProtocolError("not_subscribed", f"subscribe to room {room} first")
        return access

    # -- handlers: each returns the reply frame (or None) ----------------------------------------
    async def on_ping(self) -> Pong:
        return PONG

    async def on_rooms(self) -> frames.Rooms:
        return {"type": "rooms", "rooms": await db(queries.rooms_for)(self.user)}

    async def on_subscribe(self, rooms: list[dict[str, Any]]) -> None:
        for entry in rooms:
            room_id = entry["room"]
            room, access = await db(store.load_room)(self.user, room_id)
            if room_id in self.access:
                await self.hub.leave(self, room_id)
            self.access[room_id] = access
            self.known[room_id] = (room, access)

            def feed_online(room_id: int = room_id) -> list[int]:
                feed = self.hub.feeds.get(room_id)
                return feed.online() if feed else []

            async def before_live(
                delivered: int,
                room: Room = room,
                access: RoomAccess = access,
                entry: dict[str, Any] = entry,
                feed_online: Callable[[], list[int]] = feed_online,
            ) -> None:
                if entry["changes_after"] is not None and entry["after"] is not None:
                    changed = await db(queries.changed_frames)(
                        room.pk, entry["changes_after"], min(entry["after"], delivered), 1000
                    )
                    for text in changed:
                        await self.send(text_data=text)
                subscribed: frames.Subscribed = {
                    "type": "subscribed",
                    "room": room.pk,
                    "seq": delivered,
                    "last_change": room.last_change,
                    "role": access.membership.role if access.membership else None,
                    "can_write": access.write,
                    "can_moderate": access.moderate,
                    "online": feed_online(),
                }
                await self.send_json(subscribed)

            await self.hub.join(self, room_id, entry["after"], before_live)

    async def on_unsubscribe(self, room: int) -> frames.Unsubscribed:
        self.access.pop(room, None)
        await self.hub.leave(self, room)
        return {"type": "unsubscribed", "room": room}

    async def on_send(
        self, room: int, client_id: str, text: str, reply_to: int | None, attachments: list[int] | None
    ) -> frames.Ack:
        await USER_SENDS.take_shared(self.user_id)
        # The room's budget is spent only by those who may write there: a subscription or an earlier send already
        # checked it (and rights changes renew what the socket knows); a first send to a room checks it first.
        known = self.known.get(room)
        if known is None:
            known = self.known[room] = await db(store.load_room)(self.user, room)
        if known[1].write:
            await ROOM_SENDS.take_shared(room)
        try:
            message, duplicate = await db(actions.post_message)(
                self.user, room, client_id, text, reply_to, attachments, known
            )
        except store.MessageBlocked as blocked:  # the sender's page finds its pending message by client_id
            raise store.MessageBlocked(blocked.reason, blocked.reason_en, client_id) from None
        return {
            "type": "ack",
            "room": room,
            "client_id": client_id,
            "id": message.pk,
            "seq": message.seq,
            "duplicate": duplicate,
        }

    async def on_history(self, room: int, before: int | None, limit: int) -> frames.History:
        page: frames.HistoryPage = await db(queries.history)(self.user, room, before, limit)
        return {"type": "history", **page}

    async def on_read(self, room: int, seq: int) -> None:
        await READS.take_shared(self.user_id)
        await db(actions.mark_read)(self.user, room, seq)

    async def on_receipts(self, room: int, seq: int) -> frames.Receipts:
        readers = await db(queries.receipts)(self.user, room, seq)
        return {"type": "receipts", "room": room, "seq": seq, "readers": readers}

    async def on_typing(self, room: int) -> None:
        if not self.subscribed_access(room).write:
            raise ProtocolError("read_only", "you may read this room but not write to it")
        await TYPING.take_shared((self.user_id, room))
        typing: frames.Typing = {"type": "typing", "room": room, "user": person(self.user)}
        await self.hub.publish_event(room, typing)

    async def on_edit(self, room: int, seq: int, text: str) -> frames.Done:
        await CHANGES.take_shared(self.user_id)
        await db(actions.edit_message)(self.user, room, seq, text)
        return {"type": "done", "op": "edit", "room": room, "seq": seq}

    async def on_delete(self, room: int, seq: int) -> frames.Done:
        await CHANGES.take_shared(self.user_id)
        await db(actions.delete_message)(self.user, room, seq)
        return {"type": "done", "op": "delete", "room": room, "seq": seq}

    async def on_revisions(self, room: int, seq: int) -> frames.Revisions:
        return {
            "type": "revisions",
            "room": room,
            "seq": seq,
            "revisions": await db(queries.revisions)(self.user, room, seq),
        }

    async def on_report(self, room: int, seq: int, reason: str) -> frames.Done:
        await CHANGES.take_shared(self.user_id)
        await db(actions.report_message)(self.user, room, seq, reason)
        return {"type": "done", "op": "report", "room": room, "seq": seq}

    async def on_reports(self, room: int) -> frames.Reports:
        return {"type": "reports", "room": room, "reports": await db(queries.reports)(self.user, room)}

    async def on_members(self, room: int) -> frames.Members:
        await db(store.load_room)(self.user, room)
        return {"type": "members", "room": room, "members": await db(queries.members_of)(room)}

    async def on_mute(self, room: int, user: int, minutes: int) -> frames.MuteDone:
        membership = await db(actions.mute_member)(self.user, room, user, minutes)
        until = membership.muted_until.isoformat() if membership.muted_until else None
        return {"type": "done", "op": "mute", "room": room, "user": user, "until": until}

    async def on_open_direct(self, user: int) -> frames.RoomFrame:
        try:
            payload = await db(_open_direct)(self.user, user)
        except DirectChatForbidden as refused:
            raise ProtocolError("forbidden", "the school rules do not allow this private chat") from refused
        return {"type": "room", "room": payload}


def _open_direct(user: User, other_id: int) -> RoomPayload:
    other = User.objects.filter(pk=other_id, is_active=True).first()
    if other is None:
        raise ProtocolError("not_found", f"user {other_id} does not exist")
    room = actions.open_direct_chat(user, other)
    return next(r for r in queries.rooms_for(user) if r["id"] == room.pk)
