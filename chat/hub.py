"""Per-process fan-out: one hub per daphne process writes each room event to every local socket.

Why not one channel-layer consumer per socket with ``group_send`` per message: that costs a task,
a JSON encoding and a thread hop (``aclose_old_connections``) per recipient and silently drops
messages when a channel's capacity (100) overflows: the in-memory layer swallows ``ChannelFull`` in
``group_send`` and the Redis layer drops the oldest, about 20 % lost at overload when measured. Instead:

* a socket subscribes to rooms at the hub of its own process, in memory;
* the hub — not the socket — joins the channel-layer group of a room, once per process, and only
  when the layer crosses processes (Redis); on the in-memory layer there is nothing to cross;
* an event is encoded to JSON once by the process that made it; every hub builds the WebSocket frame
  once and writes the same bytes to each of its local subscribers of the room (:mod:`chat.wire`);
* messages are stored before they are published (by :mod:`chat.actions`, once the write commits: see
  :func:`publish_committed`), with a per-room ``seq`` without gaps, and the
  hub delivers them strictly in ``seq`` order: an early arrival waits for the missing ones
  (``REORDER_WAIT``), then the gap is read from the database; a periodic tail check compares each
  room's stored ``last_seq`` with what was delivered, so a message lost anywhere between commit
  and socket (layer overflow, a publisher cancelled after commit) is still delivered.
* a socket joining a room catches up from the database (``after`` its last seq) and switches to
  live delivery only once it has reached what the hub delivered, so nothing is missed or doubled.

Presence is counted per process and shared between hubs over the layer (best effort: a process that
dies without saying goodbye leaves its users "online" on the others until they reconnect).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer

from server.aio import PerLoop

from .models import Room
from .payloads import encode
from .queries import frames_after
from .wire import Frame

log = logging.getLogger(__name__)

REORDER_WAIT = 0.05  # seconds an out-of-order message waits for the ones before it
TAIL_CHECK_EVERY = 1.0  # seconds between checks of stored vs delivered last_seq
PRESENCE_EVERY = 1.0  # seconds between presence updates of a room
GROUP_REFRESH_EVERY = 3600.0  # channel-layer group memberships expire after a day
CATCH_UP_PAGE = 200


class Subscriber(Protocol):
    """A socket as the hub sees it (the chat consumer)."""

    user_id: int
    delivered: dict[int, int]  # room id -> last seq written to this socket

    def push(self, frame: Frame) -> Awaitable[None] | None:
        """Write the frame; returns an awaitable only when the write could not be done synchronously."""


class RoomFeed:
    """The hub's state for one room: local subscribers, delivery position, reorder buffer, presence."""

    def __init__(self, room_id: int, last_seq: int) -> None:
        self.room_id = room_id
        self.subscribers: set[Subscriber] = set()
        self.last_seq = last_seq
        self.pending: dict[int, str] = {}
        self.held_updates: dict[int, list[str]] = {}  # updates of messages not delivered yet
        self.draining = False
        self.gap_fill: asyncio.TimerHandle | None = None
        self.online_local: Counter[int] = Counter()
        self.online_remote: dict[str, set[int]] = {}
        self.local_changes: set[int] = set()  # users whose local presence changed since the last flush
        self.announced: set[int] = set()  # who the local sockets were last told is online

    def online(self) -> list[int]:
        users = {uid for uid, n in self.online_local.items() if n > 0}
        for remote in self.online_remote.values():
            users |= remote
        return sorted(users)


class Hub:
    def __init__(self) -> None:
        self.origin = uuid.uuid4().hex
        self.layer = get_channel_layer()
        self.crosses_processes = self.layer is not None and not isinstance(self.layer, InMemoryChannelLayer)
        self.feeds: dict[int, RoomFeed] = {}
        self._opening: dict[int, asyncio.Future[RoomFeed]] = {}
        self.channel: str | None = None
        self._tasks: list[asyncio.Task] = []
        self._dirty: set[int] = set()  # rooms with presence changes to flush
        self._publishing: set[asyncio.Task] = set()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self.crosses_processes:
            self.channel = await self.layer.new_channel("chathub.")
            self._tasks.append(asyncio.create_task(self._read_layer(), name="chat-hub-layer"))
            self._tasks.append(asyncio.create_task(self._refresh_groups(), name="chat-hub-groups"))
        self._tasks.append(asyncio.create_task(self._tail_check(), name="chat-hub-tail"))
        self._tasks.append(asyncio.create_task(self._flush_presence(), name="chat-hub-presence"))

    @staticmethod
    def group(room_id: int) -> str:
        return f"chat.room.{room_id}"

    async def _feed(self, room_id: int) -> RoomFeed:
        """The room's feed, opened on first use: join the layer group, then read the stored last seq."""
        if feed := self.feeds.get(room_id):
            return feed
        if opening := self._opening.get(room_id):
            return await asyncio.shield(opening)
        future: asyncio.Future[RoomFeed] = asyncio.get_running_loop().create_future()
        self._opening[room_id] = future
        try:
            if self.crosses_processes:
                await self.layer.group_add(self.group(room_id), self.channel)
            last_seq = await database_sync_to_async(_stored_last_seq)(room_id)
            feed = RoomFeed(room_id, last_seq)
            self.feeds[room_id] = feed
            future.set_result(feed)
            if self.crosses_processes:
                await self._publish(room_id, {"k": "q"})
            return feed
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved
            raise
        finally:
            del self._opening[room_id]

    # -- subscriptions -----------------------------------------------------------------------
    async def join(
        self, sub: Subscriber, room_id: int, after: int | None, before_live: Callable[[int], Awaitable[None]]
    ) -> RoomFeed:
        """Subscribe ``sub`` to the room, first writing every stored message after ``after``.

        ``before_live(delivered_seq)`` runs once the backlog is written, just before the socket goes live.
        """
        feed = await self._feed(room_id)
        delivered = await self._catch_up(sub, feed, feed.last_seq if after is None else after)
        await before_live(delivered)
        delivered = await self._catch_up(sub, feed, delivered)
        # No await from here on: the socket is live exactly from ``delivered``.
        sub.delivered[room_id] = max(delivered, sub.delivered.get(room_id, 0))
        if sub not in feed.subscribers:
            feed.subscribers.add(sub)
            await self._presence_changed(feed, sub.user_id, +1)
        return feed

    async def _catch_up(self, sub: Subscriber, feed: RoomFeed, delivered: int) -> int:
        """Write stored messages after ``delivered`` until the socket reaches what the hub delivered."""
        while delivered < feed.last_seq:
            frames = await database_sync_to_async(frames_after)(feed.room_id, delivered, CATCH_UP_PAGE)
            if not frames:
                break
            for seq, text in frames:
                await _push(sub, Frame(text))
                delivered = seq
        return delivered

    async def leave(self, sub: Subscriber, room_id: int) -> None:
        feed = self.feeds.get(room_id)
        sub.delivered.pop(room_id, None)
        if feed is None or sub not in feed.subscribers:
            return
        feed.subscribers.discard(sub)
        await self._presence_changed(feed, sub.user_id, -1)
        if not feed.subscribers and not feed.pending:
            self.feeds.pop(room_id, None)
            if self.crosses_processes:
                await self.layer.group_discard(self.group(room_id), self.channel)

    async def leave_all(self, sub: Subscriber) -> None:
        for room_id in list(sub.delivered):
            await self.leave(sub, room_id)

    # -- publishing --------------------------------------------------------------------------
    async def publish_message(self, room_id: int, seq: int, text: str) -> None:
        """A stored message: deliver here in order and tell the other processes."""
        await self._accept_message(room_id, seq, text)
        self._publish_soon(room_id, {"k": "m", "s": seq, "t": text})

    async def publish_update(self, room_id: int, seq: int, text: str) -> None:
        """An edited or deleted message (``message.updated``)."""
        await self._accept_update(room_id, seq, text)
        self._publish_soon(room_id, {"k": "u", "s": seq, "t": text})

    async def publish_event(self, room_id: int, event: Mapping[str, object]) -> None:
        """A passing event (typing, read receipt, mute): not stored, delivered to whoever is there."""
        await self.publish_encoded_event(room_id, encode(event))

    async def publish_encoded_event(self, room_id: int, text: str) -> None:
        await self._deliver_now(room_id, text)
        self._publish_soon(room_id, {"k": "e", "t": text})

    def _publish_soon(self, room_id: int, payload: dict[str, Any]) -> None:
        """Publish without making the sender wait for Redis (the hubs restore the order by seq)."""
        if not self.crosses_processes:
            return
        task = asyncio.create_task(self._publish(room_id, payload))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, room_id: int, payload: dict[str, Any]) -> None:
        if not self.crosses_processes:
            return
        try:
            await self.layer.group_send(
                self.group(room_id), {"type": "chat.hub", "o": self.origin, "r": room_id, **payload}
            )
        except Exception:  # the message is stored; the other hubs' tail checks deliver it
            log.exception("chat hub: publishing to room %s failed", room_id)

    # -- delivery ----------------------------------------------------------------------------
    async def _accept_message(self, room_id: int, seq: int, text: str) -> None:
        feed = self.feeds.get(room_id)
        if feed is None or seq <= feed.last_seq:
            return
        feed.pending[seq] = text
        await self._drain(feed)
        if feed.pending and feed.gap_fill is None:
            loop = asyncio.get_running_loop()
            # In a fresh context: a message published on commit arrives here with the context of the sender's
            # database call (async_to_sync from its thread), where asgiref marks the thread-sensitive executor
            # busy; a gap-fill task inheriting that mark failed every read ("would deadlock", seen in the soak).
            fill = lambda: asyncio.ensure_future(self._fill_gap(feed))  # noqa: E731
            feed.gap_fill = loop.call_later(REORDER_WAIT, fill, context=contextvars.Context())

    async def _accept_update(self, room_id: int, seq: int, text: str) -> None:
        feed = self.feeds.get(room_id)
        if feed is None:
            return
        if seq > feed.last_seq:
            feed.held_updates.setdefault(seq, []).append(text)
            return
        await self._deliver_now(room_id, text)

    async def _deliver_now(self, room_id: int, text: str) -> None:
        feed = self.feeds.get(room_id)
        if feed is None:
            return
        frame = Frame(text)
        for sub in tuple(feed.subscribers):
            if (pending := sub.push(frame)) is not None:
                await pending

    async def _drain(self, feed: RoomFeed) -> None:
        """Write every pending message that is next in line, to every subscriber, in seq order."""
        if feed.draining:
            return  # the running drain picks the new message up
        feed.draining = True
        room_id = feed.room_id
        try:
            while (text := feed.pending.pop(feed.last_seq + 1, None)) is not None:
                feed.last_seq += 1
                seq = feed.last_seq
                frame = Frame(text)
                for sub in tuple(feed.subscribers):
                    if sub.delivered.get(room_id, seq) < seq:
                        sub.delivered[room_id] = seq
                        if (pending := sub.push(frame)) is not None:
                            await pending
                for update in feed.held_updates.pop(seq, ()):
                    await self._deliver_now(room_id, update)
        finally:
            feed.draining = False

    async def _fill_gap(self, feed: RoomFeed) -> None:
        """Read the messages missing before the earliest pending one from the database."""
        feed.gap_fill = None
        if not feed.pending:
            return
        wanted = min(feed.pending) - 1 - feed.last_seq
        if wanted > 0:
            await self._load(feed, wanted)

    async def _load(self, feed: RoomFeed, count: int) -> None:
        try:
            frames = await database_sync_to_async(frames_after)(feed.room_id, feed.last_seq, count)
        except Exception:
            log.exception("chat hub: reading missed messages of room %s failed", feed.room_id)
            return
        for seq, text in frames:
            if seq > feed.last_seq:
                feed.pending.setdefault(seq, text)
        await self._drain(feed)

    async def _tail_check(self) -> None:
        """Every second, one query: rooms whose stored last_seq is ahead of what this hub delivered."""
        while True:
            await asyncio.sleep(TAIL_CHECK_EVERY)
            if not self.feeds:
                continue
            try:
                stored = await database_sync_to_async(_stored_last_seqs)(list(self.feeds))
            except Exception:
                log.exception("chat hub: tail check failed")
                continue
            for room_id, last_seq in stored.items():
                feed = self.feeds.get(room_id)
                if feed is not None and last_seq > feed.last_seq:
                    await self._load(feed, last_seq - feed.last_seq)

    # -- other processes ---------------------------------------------------------------------
    async def _read_layer(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
                if message.get("o") != self.origin:
                    await self._on_remote(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat hub: bad layer message")
                await asyncio.sleep(0.1)

    async def _on_remote(self, message: dict[str, Any]) -> None:
        room_id, kind = message["r"], message["k"]
        if kind == "m":
            await self._accept_message(room_id, message["s"], message["t"])
        elif kind == "u":
            await self._accept_update(room_id, message["s"], message["t"])
        elif kind == "e":
            await self._deliver_now(room_id, message["t"])
        elif kind in {"p", "q", "snap"}:
            await self._on_remote_presence(room_id, message)

    async def _refresh_groups(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_EVERY)
            for room_id in list(self.feeds):
                await self.layer.group_add(self.group(room_id), self.channel)

    # -- presence ----------------------------------------------------------------------------
    # Changes are collected and sent at most once per PRESENCE_EVERY per room (to the other hubs and to the
    # local sockets), so 1,000 people joining a room cost a few frames per socket, not a million.
    async def _presence_changed(self, feed: RoomFeed, user_id: int, delta: int) -> None:
        was_here = feed.online_local[user_id] > 0
        feed.online_local[user_id] += delta
        if feed.online_local[user_id] <= 0:
            del feed.online_local[user_id]
        if (feed.online_local[user_id] > 0) != was_here:
            feed.local_changes.add(user_id)
            self._dirty.add(feed.room_id)

    async def _on_remote_presence(self, room_id: int, message: dict[str, Any]) -> None:
        feed = self.feeds.get(room_id)
        if feed is None:
            return
        origin, kind = message["o"], message["k"]
        if kind == "q":
            await self._publish(room_id, {"k": "snap", "users": [uid for uid, n in feed.online_local.items() if n > 0]})
            return
        users = feed.online_remote.setdefault(origin, set())
        if kind == "snap":
            users.clear()
        for user_id, online in [(uid, True) for uid in message.get("users", ())] + message.get("changes", []):
            (users.add if online else users.discard)(user_id)
        self._dirty.add(room_id)

    async def _flush_presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_EVERY)
            dirty, self._dirty = self._dirty, set()
            for room_id in dirty:
                feed = self.feeds.get(room_id)
                if feed is None:
                    continue
                if feed.local_changes and self.crosses_processes:
                    changes = [[uid, feed.online_local[uid] > 0] for uid in feed.local_changes]
                    await self._publish(room_id, {"k": "p", "changes": changes})
                feed.local_changes.clear()
                online = set(feed.online())
                came, went = sorted(online - feed.announced), sorted(feed.announced - online)
                feed.announced = online
                if came or went:
                    event = {"type": "presence", "room": room_id, "online": came, "offline": went}
                    await self._deliver_now(room_id, encode(event))

    async def stop(self) -> None:
        """Cancel the hub's background tasks (a process's hub lives as long as its event loop)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _push(sub: Subscriber, frame: Frame) -> None:
    if (pending := sub.push(frame)) is not None:
        await pending


def _stored_last_seq(room_id: int) -> int:
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0


def _stored_last_seqs(room_ids: list[int]) -> dict[int, int]:
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))


async def publish_committed(room_id: int, kind: Literal["message", "update", "event"], text: str, seq: int = 0) -> None:
    """Publish an encoded frame of a committed change (:mod:`chat.actions`, on commit) from this process.

    Through this loop's hub when it has one (its sockets first, then the other processes). A process without
    chat sockets has no hub and starts none (it would keep background tasks for nothing): the frame goes
    straight to the other processes' hubs, or nowhere on the in-memory layer, where there are no others.
    """
    hub = _hubs.current()
    if hub is not None:
        if kind == "message":
            await hub.publish_message(room_id, seq, text)
        elif kind == "update":
            await hub.publish_update(room_id, seq, text)
        else:
            await hub.publish_encoded_event(room_id, text)
        return
    layer = get_channel_layer()
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return
    payload = {"k": "e", "t": text} if kind == "event" else {"k": kind[0], "s": seq, "t": text}
    await layer.group_send(Hub.group(room_id), {"type": "chat.hub", "o": "", "r": room_id, **payload})


async def _start_hub() -> Hub:
    hub = Hub()
    await hub.start()
    return hub


_hubs = PerLoop(_start_hub)


async def get_hub() -> Hub:
    """This process's (this event loop's) hub, started on first use."""
    return await _hubs.get()
