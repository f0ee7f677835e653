"""Lesson signalling: the browser's only way into the Janus room.

One socket per tab at ``/ws/lessons/<lesson id>/``. Every action is checked against the lesson's
membership and the user's role in it, then relayed to Janus over its HTTP API with one Janus
session per socket: closing the socket (or the tab dying) destroys that session, which takes the
participant out of the room at once. Room-wide news (participants, moderation, end) travels over
the channel layer group of the lesson run, so it works across daphne processes.

Texts for people (error details, "removed", "ended") are in the socket's language (server.ws).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from rtc.janus.client import JanusError, JanusSession
from rtc.janus.rooms import JanusNotConfigured, ensure_room, instance_for, moderated_request
from server.ws import CloseCode, JsonProtocolConsumer, ProtocolError

from . import actions, live
from .actions import group_name
from .models import Participant, Presence
from .turn import ice_servers_for

log = logging.getLogger(__name__)

MAX_SDP_CHARS = 60_000
RATE_BURST = 120  # messages; a student subscribing to 30 feeds sends ~60 at once
RATE_PER_SECOND = 20.0
SOURCES = ("camera", "screen")
TEACHER = Participant.Role.TEACHER


def new_feed_id() -> int:
    return secrets.randbelow(2**52 - 1_000_000) + 1_000_000


def parse_display(display: Any) -> dict | None:
    """Our feeds carry JSON in Janus's display name: user id, name, source, role."""
    try:
        data = json.loads(display)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or data.get("s") not in SOURCES:
        return None
    return {"user": data["u"], "name": str(data.get("n", "")), "source": data["s"], "role": str(data.get("r", ""))}


def int_field(content: dict, name: str) -> int:
    value = content.get(name)
    if type(value) is not int or value <= 0:
        raise ProtocolError("bad_field", f"{name}: a positive integer")
    return value


def sdp_field(content: dict) -> dict:
    sdp = content.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_CHARS:
        raise ProtocolError("bad_field", "sdp: a session description string")
    return {"type": "offer" if content["type"] == "publish" else "answer", "sdp": sdp}


class LessonConsumer(JsonProtocolConsumer):
    max_frame_bytes = 65_536

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # also on cancellation (daphne shutdown), when disconnect() never runs
            await asyncio.shield(self.leave_lesson())

    async def connect(self) -> None:
        self.user = self.scope["user"]
        self.lesson_id = int(self.scope["url_route"]["kwargs"]["lesson_id"])
        self.admission: live.Admission | None = None
        self.janus: JanusSession | None = None
        self.main_handle: int | None = None
        self.feed_ids: dict[str, int] = {}  # source -> our feed id in Janus
        self.screen_handle: int | None = None
        self.published_streams: dict[str, list[dict]] = {}
        self.subscriptions: dict[int, int] = {}  # feed -> subscriber handle
        self.known_feeds: dict[int, dict] = {}
        self.blocked = {"audio": False, "video": False}
        self.tokens = float(RATE_BURST)
        self.tokens_at = time.monotonic()
        self.left = False
        self.heartbeat_task: asyncio.Future | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.leave_lesson()

    # ----- inbound messages -------------------------------------------------------------
    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        self.take_token()
        handler = getattr(self, "on_" + content["type"].replace(".", "_"), None)
        if content["type"] not in MESSAGE_TYPES or handler is None:
            raise ProtocolError("unknown_type", f"unknown message type {content['type']!r}")
        if content["type"] != "join" and self.admission is None:
            raise ProtocolError("not_joined", "send 'join' first")
        if content["type"] in TEACHER_ONLY and self.admission.role != TEACHER:
            raise ProtocolError("forbidden", _("только учитель может это сделать"))
        try:
            await handler(content)
        except live.Refused as refused:
            raise ProtocolError(refused.code, refused.detail) from refused
        except JanusError as error:
            log.warning("janus refused %s for user %s: %s", content["type"], self.user.pk, error)
            detail = _("медиасервер отказал: %(reason)s") % {"reason": error.reason}
            raise ProtocolError("media_error", detail) from error

    async def heartbeat(self) -> None:
        """Mark our presence alive, so a dead server process's intervals can be told apart."""
        while True:
            await asyncio.sleep(Presence.HEARTBEAT_SECONDS)
            await database_sync_to_async(live.heartbeat)(self.admission.presence_id)

    def take_token(self) -> None:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.tokens_at) * RATE_PER_SECOND)
        self.tokens_at = now
        if self.tokens < 1:
            raise ProtocolError("rate_limited", "too many messages")
        self.tokens -= 1

    async def on_join(self, content: dict) -> None:
        if self.admission is None:
            self.admission = await database_sync_to_async(actions.join)(self.user, self.lesson_id, self.channel_name)
            await self.channel_layer.group_add(group_name(self.admission.run_id), self.channel_name)
            self.heartbeat_task = asyncio.ensure_future(self.heartbeat())
        elif self.janus is not None:
            raise ProtocolError("already_joined", "already in the lesson")
        await self.start_media()
        run_id = self.admission.run_id
        people = await database_sync_to_async(live.participants)(run_id)
        await self.send_json(
            {
                "type": "joined",
                "me": {"user": self.user.pk, "name": str(self.user), "role": self.admission.role},
                "lesson": {
                    "id": self.lesson_id,
                    "run": run_id,
                    "title": self.admission.title,
                    "ends_at": self.admission.ends_at,
                    "chat_room": self.admission.chat_room,
                },
                "state": await database_sync_to_async(live.state)(run_id),
                "participants": people,
                "feeds": [{"id": feed, **info} for feed, info in self.known_feeds.items()],
                "ice_servers": ice_servers_for(self.user.pk),
                "blocked": self.blocked,
            }
        )

    async def start_media(self) -> None:
        """Open our Janus session, make sure the room exists, and join it (publisher role, nothing sent yet)."""
        room = self.admission.janus_room
        try:
            url = instance_for(room)
        except JanusNotConfigured as error:
            raise ProtocolError("media_unavailable", str(error)) from error
        self.janus = JanusSession(url, settings.JANUS_API_SECRET, self.on_janus_event, self.on_janus_lost)
        try:
            await self.janus.create()
            await database_sync_to_async(live.bind_janus_session)(self.admission.presence_id, self.janus.session_id)
            self.main_handle = await self.janus.attach()
            await ensure_room(self.janus, self.main_handle, room)
            self.feed_ids = {"camera": new_feed_id()}
            joined = await self.janus.message(
                self.main_handle,
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room,
                    "id": self.feed_ids["camera"],
                    "display": self.display("camera"),
                },
            )
        except JanusError as error:
            await self.drop_media()
            detail = _("медиасервер недоступен: %(reason)s") % {"reason": error.reason}
            raise ProtocolError("media_unavailable", detail) from error
        self.known_feeds = {}
        for publisher in joined.get("plugindata", {}).get("data", {}).get("publishers", []):
            self.remember_feed(publisher)
        blocked = await database_sync_to_async(live.blocked_media)(self.admission.run_id, [self.user.pk])
        self.blocked = blocked.get(self.user.pk, self.blocked)

    def display(self, source: str) -> str:
        return json.dumps(
            {"u": self.user.pk, "n": str(self.user), "s": source, "r": self.admission.role}, ensure_ascii=False
        )

    def remember_feed(self, publisher: dict) -> dict | None:
        info = parse_display(publisher.get("display"))
        feed = publisher.get("id")
        if info is None or type(feed) is not int or feed in self.feed_ids.values():
            return None
        self.known_feeds[feed] = info
        return info

    async def on_publish(self, content: dict) -> None:
        source = content.get("source")
        if source not in SOURCES:
            raise ProtocolError("bad_field", "source: camera or screen")
        role = self.admission.role
        if role == Participant.Role.OBSERVER or (source == "screen" and role != TEACHER):
            raise ProtocolError("forbidden", _("вам нельзя показывать это на уроке"))
        jsep = sdp_field(content)
        room = self.admission.janus_room
        if source == "camera":
            event = await self.janus.message(
                self.main_handle, {"request": "configure", "audio": True, "video": True}, jsep
            )
        else:
            if self.screen_handle is not None:
                await self.janus.detach(self.screen_handle)
            self.screen_handle = await self.janus.attach()
            self.feed_ids["screen"] = new_feed_id()
            event = await self.janus.message(
                self.screen_handle,
                {
                    "request": "joinandconfigure",
                    "ptype": "publisher",
                    "room": room,
                    "id": self.feed_ids["screen"],
                    "display": self.display("screen"),
                    "audio": False,
                    "video": True,
                },
                jsep,
            )
        if "jsep" not in event:
            raise ProtocolError("media_error", _("медиасервер не ответил на публикацию"))
        self.published_streams[source] = event.get("plugindata", {}).get("data", {}).get("streams", [])
        await self.send_json(
            {"type": "published", "source": source, "sdp": event["jsep"]["sdp"], "feed": self.feed_ids[source]}
        )
        if source == "camera" and (self.blocked["audio"] or self.blocked["video"]):
            await self.apply_blocked(self.blocked)

    async def on_unpublish(self, content: dict) -> None:
        source = content.get("source")
        if source == "screen" and self.screen_handle is not None:
            await self.janus.detach(self.screen_handle)
            self.screen_handle = None
            self.feed_ids.pop("screen", None)
        elif source == "camera":
            with contextlib.suppress(JanusError):
                await self.janus.message(self.main_handle, {"request": "unpublish"})
        else:
            raise ProtocolError("bad_field", "source: camera or screen (published)")
        self.published_streams.pop(source, None)

    async def feeds_in_room(self) -> dict[int, dict]:
        """The room's publishers as Janus sees them right now (the authority on feed ids)."""
        data = await moderated_request(
            self.janus, self.main_handle, self.admission.janus_room, {"request": "listparticipants"}
        )
        found = {}
        for item in data.get("participants", []):
            info = parse_display(item.get("display"))
            if info is not None and type(item.get("id")) is int:
                found[item["id"]] = {**info, "publisher": bool(item.get("publisher"))}
        return found

    async def on_subscribe(self, content: dict) -> None:
        feed = int_field(content, "feed")
        self.require_media()
        room_feeds = await self.feeds_in_room()
        if feed not in room_feeds or not room_feeds[feed]["publisher"] or feed in self.feed_ids.values():
            raise ProtocolError("unknown_feed", _("в этом уроке нет такой трансляции"))
        if feed in self.subscriptions:
            await self.janus.detach(self.subscriptions.pop(feed))
        handle = await self.janus.attach()
        self.subscriptions[feed] = handle
        event = await self.janus.message(
            handle,
            {"request": "join", "ptype": "subscriber", "room": self.admission.janus_room, "streams": [{"feed": feed}]},
        )
        if "jsep" not in event:
            raise ProtocolError("media_error", _("медиасервер не предложил поток"))
        await self.send_json({"type": "offer", "feed": feed, "sdp": event["jsep"]["sdp"]})

    async def on_answer(self, content: dict) -> None:
        feed = int_field(content, "feed")
        handle = self.subscriptions.get(feed)
        if handle is None:
            raise ProtocolError("unknown_feed", "subscribe to this feed first")
        await self.janus.message(handle, {"request": "start"}, sdp_field(content))
        await self.send_json({"type": "started", "feed": feed})

    async def on_unsubscribe(self, content: dict) -> None:
        feed = int_field(content, "feed")
        handle = self.subscriptions.pop(feed, None)
        if handle is None:
            raise ProtocolError("unknown_feed", "not subscribed to this feed")
        await self.janus.detach(handle)

    async def on_substream(self, content: dict) -> None:
        """Pick a simulcast layer of a subscribed camera (0 = lowest) — for weak connections."""
        feed = int_field(content, "feed")
        layer = content.get("substream")
        handle = self.subscriptions.get(feed)
        if handle is None or layer not in (0, 1, 2):
            raise ProtocolError("bad_field", "feed: a subscribed feed, substream: 0, 1 or 2")
        await self.janus.message(handle, {"request": "configure", "substream": layer})

    async def on_hand(self, content: dict) -> None:
        up = content.get("up")
        if not isinstance(up, bool):
            raise ProtocolError("bad_field", "up: true or false")
        await database_sync_to_async(actions.raise_hand)(self.admission.run_id, self.admission.participant_id, up)

    async def on_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    # ----- teacher's moderation ---------------------------------------------------------
    def target_field(self, content: dict) -> int | None:
        target = content.get("user")
        if target == "all":
            return None
        if type(target) is not int or target <= 0:
            raise ProtocolError("bad_field", 'user: a participant\'s id or "all"')
        return target

    async def on_mute(self, content: dict) -> None:
        await self.moderate(content, "muted")

    async def on_camera_off(self, content: dict) -> None:
        await self.moderate(content, "camera_off")

    async def moderate(self, content: dict, flag: str) -> None:
        on = content.get("on", True)
        if not isinstance(on, bool):
            raise ProtocolError("bad_field", "on: true or false")
        target = self.target_field(content)
        await database_sync_to_async(actions.moderate)(self.admission.run_id, self.user, target, flag, on)

    async def on_allow(self, content: dict) -> None:
        """Students' cameras / microphones allowed or not for the whole lesson."""
        fields = {}
        for key, column in (("camera", "camera_allowed"), ("microphone", "microphone_allowed")):
            if key in content:
                if not isinstance(content[key], bool):
                    raise ProtocolError("bad_field", f"{key}: true or false")
                fields[column] = content[key]
        if not fields:
            raise ProtocolError("bad_field", "camera and/or microphone: true or false")
        await database_sync_to_async(actions.allow)(self.admission.run_id, **fields)

    async def on_lock(self, content: dict) -> None:
        locked = content.get("locked")
        if not isinstance(locked, bool):
            raise ProtocolError("bad_field", "locked: true or false")
        await database_sync_to_async(actions.lock)(self.admission.run_id, locked)

    async def on_remove(self, content: dict) -> None:
        target = self.target_field(content)
        if target is None or target == self.user.pk:
            raise ProtocolError("bad_field", "user: a student's id")
        await database_sync_to_async(actions.remove)(self.admission.run_id, self.user, target)
        # Do not rely on the removed user's socket alone: kick their feeds from Janus too.
        self.require_media()
        for feed, info in (await self.feeds_in_room()).items():
            if info["user"] == target:
                with contextlib.suppress(JanusError):
                    await moderated_request(
                        self.janus, self.main_handle, self.admission.janus_room, {"request": "kick", "id": feed}
                    )

    async def on_end(self, content: dict) -> None:
        run_id = self.admission.run_id
        await database_sync_to_async(actions.end)(run_id, self.user)
        if self.janus is not None and self.main_handle is not None:
            with contextlib.suppress(JanusError):
                await moderated_request(self.janus, self.main_handle, self.admission.janus_room, {"request": "destroy"})

    # ----- channel layer events (lessons.actions publishes them) ---------------------------
    async def lesson_participants(self, message: dict) -> None:
        await self.send_json({"type": "participants", "list": message["list"]})

    async def lesson_talking(self, message: dict) -> None:
        await self.send_json({"type": "talking", "user": message["user"], "on": message["on"]})

    async def lesson_state(self, message: dict) -> None:
        await self.send_json({"type": "state", "state": message["state"]})

    async def lesson_moderation(self, message: dict) -> None:
        mine = message["blocked"].get(str(self.user.pk))
        if mine is None or mine == self.blocked:
            return
        self.blocked = mine
        await self.apply_blocked(mine)
        await self.send_json({"type": "moderated", "blocked": mine})

    async def apply_blocked(self, blocked: dict[str, bool]) -> None:
        """Enforce in Janus: it stops forwarding our muted streams whatever the browser sends."""
        if self.janus is None or self.main_handle is None:
            return
        for stream in self.published_streams.get("camera", []):
            kind = stream.get("type")
            if kind in blocked and "mid" in stream:
                with contextlib.suppress(JanusError):
                    await moderated_request(
                        self.janus,
                        self.main_handle,
                        self.admission.janus_room,
                        {
                            "request": "moderate",
                            "id": self.feed_ids["camera"],
                            "mid": stream["mid"],
                            "mute": blocked[kind],
                        },
                    )

    async def lesson_remove(self, message: dict) -> None:
        if message["user"] == self.user.pk:
            await self.send_json({"type": "removed", "detail": _("Учитель удалил вас с урока.")})
            await self.leave_lesson()
            await self.close(code=CloseCode.FORBIDDEN)

    async def lesson_end(self, message: dict) -> None:
        await self.send_json({"type": "ended", "detail": _("Урок завершён.")})
        await self.leave_lesson()
        await self.close(code=1000)

    # ----- Janus events ---------------------------------------------------------------------
    def require_media(self) -> None:
        if self.janus is None or self.main_handle is None:
            raise ProtocolError("media_unavailable", _("нет связи с медиасервером: переподключитесь (join)"))

    async def on_janus_event(self, event: dict) -> None:
        if event.get("sender") != self.main_handle:
            return
        data = event.get("plugindata", {}).get("data", {})
        kind = data.get("videoroom")
        if kind in {"talking", "stopped-talking"}:
            # Janus tells publishers when a feed starts or stops talking; the speaker's own socket records
            # it, so people joining later see who is speaking too.
            if data.get("id") == self.feed_ids.get("camera"):
                on = kind == "talking"
                await database_sync_to_async(actions.set_talking)(
                    self.admission.run_id, self.admission.participant_id, self.user.pk, on
                )
            return
        for publisher in data.get("publishers", []):
            info = self.remember_feed(publisher)
            if info is not None:
                await self.send_json({"type": "feed.added", "feed": {"id": publisher["id"], **info}})
        for key in ("unpublished", "leaving", "kicked"):
            feed = data.get(key)
            if type(feed) is int and self.known_feeds.pop(feed, None) is not None:
                handle = self.subscriptions.pop(feed, None)
                if handle is not None:
                    await self.janus.detach(handle)
                await self.send_json({"type": "feed.removed", "feed": feed})

    async def on_janus_lost(self) -> None:
        """Janus restarted or died: tell the browser; it sends 'join' again and we recreate the room."""
        self.drop_media_state()
        await self.send_json({"type": "media.lost", "detail": _("Связь с медиасервером потеряна, переподключаемся…")})

    def drop_media_state(self) -> None:
        self.janus = None
        self.main_handle = None
        self.screen_handle = None
        self.subscriptions = {}
        self.published_streams = {}
        self.known_feeds = {}

    async def drop_media(self) -> None:
        janus, self.janus = self.janus, None
        self.drop_media_state()
        if janus is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(3):
                    await janus.destroy()

    async def leave_lesson(self) -> None:
        """Idempotent: leave Janus at once, close the attendance interval, tell the others."""
        if getattr(self, "left", True):
            return
        self.left = True
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
        await self.drop_media()
        if self.admission is not None:
            with contextlib.suppress(Exception):  # first, so that the others hear it and not this closing socket
                await self.channel_layer.group_discard(group_name(self.admission.run_id), self.channel_name)
            await database_sync_to_async(actions.leave)(self.admission.run_id, self.admission.presence_id)


TEACHER_ONLY = {"mute", "camera_off", "allow", "lock", "remove", "end"}
MESSAGE_TYPES = {
    "join",
    "publish",
    "unpublish",
    "subscribe",
    "answer",
    "unsubscribe",
    "substream",
    "hand",
    "ping",
    *TEACHER_ONLY,
}
