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
from typing import Any, Literal

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from rtc.janus.client import JanusError, JanusSession, JanusUnavailable
from rtc.janus.rooms import ensure_room, moderated_request, set_recording
from server.ws import PONG, CloseCode, JsonProtocolConsumer, Pong, ProtocolError, RateLimit, Reply

from . import actions, janus_placement, live, protocol, recordings
from .access import lesson_role
from .actions import group_name
from .models import Lesson, Participant, Presence
from .protocol import SOURCES, TEACHER_ONLY
from .turn import ice_servers_for

log = logging.getLogger(__name__)

TEACHER = Participant.Role.TEACHER


def new_feed_id() -> int:
    return secrets.randbelow(2**52 - 1_000_000) + 1_000_000


def parse_display(display: Any) -> protocol.FeedInfo | None:
    """Our feeds carry JSON in Janus's display name: user id, name, source, role."""
    try:
        data = json.loads(display)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or data.get("s") not in SOURCES:
        return None
    return {"user": data["u"], "name": str(data.get("n", "")), "source": data["s"], "role": str(data.get("r", ""))}


def _role_in_lesson(user: Any, lesson_id: int) -> str | None:
    lesson = Lesson.objects.select_related("group").filter(pk=lesson_id).first()
    return None if lesson is None else lesson_role(user, lesson)


def notice(kind: Literal["removed", "ended", "media.lost"], detail: str) -> protocol.Notice:
    return {"type": kind, "detail": detail}


def media_lost() -> protocol.Notice:
    """Our Janus session is gone: the page closes its connections and sends ``join`` again."""
    return notice("media.lost", _("Связь с медиасервером потеряна, переподключаемся…"))


class LessonConsumer(JsonProtocolConsumer):
    schemas = protocol.SCHEMAS
    max_frame_bytes = 65_536
    frame_limit = RateLimit("lesson messages", 120, 6)  # bursts of 120 (subscribing to 30 feeds is ~60), 20 a second

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
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
        self.known_feeds: dict[int, protocol.FeedInfo] = {}
        self.blocked: protocol.Blocked = {"audio": False, "video": False}
        self.left = False
        self.heartbeat_task: asyncio.Future | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.leave_lesson()

    # ----- inbound messages (schemas in lessons.protocol) ---------------------------------------
    async def handle_message(self, message_type: str, fields: dict[str, Any]) -> Reply | None:
        if message_type != "join" and self.admission is None:
            raise ProtocolError("not_joined", "send 'join' first")
        if message_type in TEACHER_ONLY and self.admitted.role != TEACHER:
            raise ProtocolError("forbidden", _("только учитель может это сделать"))
        try:
            return await super().handle_message(message_type, fields)
        except JanusError as error:
            log.warning("janus refused %s for user %s: %s", message_type, self.user.pk, error)
            detail = _("медиасервер отказал: %(reason)s") % {"reason": error.reason}
            raise ProtocolError("media_error", detail) from error

    async def heartbeat(self) -> None:
        """Mark our presence alive, so a dead server process's intervals can be told apart."""
        while True:
            await asyncio.sleep(Presence.HEARTBEAT_SECONDS)
            await database_sync_to_async(live.heartbeat)(self.admitted.presence_id)

    async def on_join(self) -> protocol.Joined:
        if self.admission is None:
            self.admission = await database_sync_to_async(actions.join)(self.user, self.lesson_id, self.channel_name)
            await self.channel_layer.group_add(group_name(self.admission.run_id), self.channel_name)
            self.heartbeat_task = asyncio.ensure_future(self.heartbeat())
        elif self.janus is not None:
            raise ProtocolError("already_joined", "already in the lesson")
        await self.start_media()
        run_id = self.admission.run_id
        people = await database_sync_to_async(live.participants)(run_id)
        joined: protocol.Joined = {
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
        return joined

    async def start_media(self) -> None:
        """Open our Janus session on the run's instance, make sure the room exists there, and join it
        (publisher role, nothing sent yet)."""
        room = self.admitted.janus_room
        try:
            url = await janus_placement.instance_for_run(self.admitted.run_id)
        except janus_placement.NoLiveInstance as error:
            detail = _("медиасервер недоступен: %(reason)s") % {"reason": error}
            raise ProtocolError("media_unavailable", detail) from error
        self.janus = JanusSession(url, settings.JANUS_API_SECRET, self.janus_event_received, self.janus_session_lost)
        try:
            await self.janus.create()
            await janus_placement.watch(self.janus)
            await database_sync_to_async(live.bind_janus_session)(self.admitted.presence_id, self.janus.session_id)
            self.main_handle = await self.janus.attach()
            rec_dir = await database_sync_to_async(recordings.active_raw_dir)(self.admitted.run_id)
            await ensure_room(self.janus, self.main_handle, room, rec_dir)
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
            if isinstance(error, JanusUnavailable):
                await janus_placement.report_failure(url)  # the page's next 'join' goes to a live instance
            detail = _("медиасервер недоступен: %(reason)s") % {"reason": error.reason}
            raise ProtocolError("media_unavailable", detail) from error
        self.known_feeds = {}
        for publisher in joined.get("plugindata", {}).get("data", {}).get("publishers", []):
            self.remember_feed(publisher)
        blocked = await database_sync_to_async(live.blocked_media)(self.admitted.run_id, [self.user.pk])
        self.blocked = blocked.get(self.user.pk, self.blocked)

    def display(self, source: str) -> str:
        return json.dumps(
            {"u": self.user.pk, "n": str(self.user), "s": source, "r": self.admitted.role}, ensure_ascii=False
        )

    def recorder_name(self, source: str) -> str:
        """What Janus names our files if the lesson is recorded (lessons.recordings reads it back)."""
        return recordings.recorder_name(source, self.admitted.role, self.user.pk)

    def remember_feed(self, publisher: dict) -> protocol.FeedInfo | None:
        info = parse_display(publisher.get("display"))
        feed = publisher.get("id")
        if info is None or type(feed) is not int or feed in self.feed_ids.values():
            return None
        self.known_feeds[feed] = info
        return info

    async def on_publish(self, source: str, sdp: str) -> protocol.Published:
        role = self.admitted.role
        if role == Participant.Role.OBSERVER or (source == "screen" and role != TEACHER):
            raise ProtocolError("forbidden", _("вам нельзя показывать это на уроке"))
        jsep = {"type": "offer", "sdp": sdp}
        room = self.admitted.janus_room
        if source == "camera":
            event = await self.session.message(
                self.room_handle,
                {"request": "configure", "audio": True, "video": True, "filename": self.recorder_name(source)},
                jsep,
            )
        else:
            if self.screen_handle is not None:
                await self.session.detach(self.screen_handle)
            self.screen_handle = await self.session.attach()
            self.feed_ids["screen"] = new_feed_id()
            event = await self.session.message(
                self.screen_handle,
                {
                    "request": "joinandconfigure",
                    "ptype": "publisher",
                    "room": room,
                    "id": self.feed_ids["screen"],
                    "display": self.display("screen"),
                    "audio": False,
                    "video": True,
                    "filename": self.recorder_name(source),
                },
                jsep,
            )
        if "jsep" not in event:
            raise ProtocolError("media_error", _("медиасервер не ответил на публикацию"))
        self.published_streams[source] = event.get("plugindata", {}).get("data", {}).get("streams", [])
        if source == "camera" and (self.blocked["audio"] or self.blocked["video"]):
            await self.apply_blocked(self.blocked)
        return {"type": "published", "source": source, "sdp": event["jsep"]["sdp"], "feed": self.feed_ids[source]}

    async def on_unpublish(self, source: str) -> None:
        if source == "screen" and self.screen_handle is not None:
            await self.session.detach(self.screen_handle)
            self.screen_handle = None
            self.feed_ids.pop("screen", None)
        elif source == "camera":
            with contextlib.suppress(JanusError):
                await self.session.message(self.room_handle, {"request": "unpublish"})
        else:
            raise ProtocolError("bad_field", "unpublish.source: you are not sharing your screen")
        self.published_streams.pop(source, None)

    async def feeds_in_room(self) -> dict[int, dict]:
        """The room's publishers as Janus sees them right now (the authority on feed ids)."""
        data = await moderated_request(
            self.session, self.room_handle, self.admitted.janus_room, {"request": "listparticipants"}
        )
        found = {}
        for item in data.get("participants", []):
            info = parse_display(item.get("display"))
            if info is not None and type(item.get("id")) is int:
                found[item["id"]] = {**info, "publisher": bool(item.get("publisher"))}
        return found

    async def on_subscribe(self, feed: int) -> protocol.Offer:
        self.require_media()
        room_feeds = await self.feeds_in_room()
        if feed not in room_feeds or not room_feeds[feed]["publisher"] or feed in self.feed_ids.values():
            raise ProtocolError("unknown_feed", _("в этом уроке нет такой трансляции"))
        if feed in self.subscriptions:
            await self.session.detach(self.subscriptions.pop(feed))
        handle = await self.session.attach()
        self.subscriptions[feed] = handle
        event = await self.session.message(
            handle,
            {"request": "join", "ptype": "subscriber", "room": self.admitted.janus_room, "streams": [{"feed": feed}]},
        )
        if "jsep" not in event:
            raise ProtocolError("media_error", _("медиасервер не предложил поток"))
        return {"type": "offer", "feed": feed, "sdp": event["jsep"]["sdp"]}

    async def on_answer(self, feed: int, sdp: str) -> protocol.Started:
        handle = self.subscriptions.get(feed)
        if handle is None:
            raise ProtocolError("unknown_feed", "subscribe to this feed first")
        await self.session.message(handle, {"request": "start"}, {"type": "answer", "sdp": sdp})
        return {"type": "started", "feed": feed}

    async def on_unsubscribe(self, feed: int) -> None:
        handle = self.subscriptions.pop(feed, None)
        if handle is None:
            raise ProtocolError("unknown_feed", "not subscribed to this feed")
        await self.session.detach(handle)

    async def on_substream(self, feed: int, substream: int) -> None:
        """Pick a simulcast layer of a subscribed camera (0 = lowest) — for weak connections."""
        handle = self.subscriptions.get(feed)
        if handle is None:
            raise ProtocolError("bad_field", "substream.feed: a feed you subscribed to")
        await self.session.message(handle, {"request": "configure", "substream": substream})

    async def on_hand(self, up: bool) -> None:
        await database_sync_to_async(actions.raise_hand)(self.admitted.run_id, self.admitted.participant_id, up)

    async def on_ping(self) -> Pong:
        return PONG

    # ----- teacher's moderation (TEACHER_ONLY) -------------------------------------------------
    async def on_mute(self, user: int | str, on: bool) -> None:
        await self.moderate(user, "muted", on)

    async def on_camera_off(self, user: int | str, on: bool) -> None:
        await self.moderate(user, "camera_off", on)

    async def moderate(self, user: int | str, flag: str, on: bool) -> None:
        """Set ``flag`` for one participant (a user id) or every student (``"all"``)."""
        target = user if isinstance(user, int) else None
        await database_sync_to_async(actions.moderate)(self.admitted.run_id, self.user, target, flag, on)

    async def on_allow(self, camera: bool | None, microphone: bool | None) -> None:
        """Students' cameras / microphones allowed or not for the whole lesson."""
        allowed = {"camera_allowed": camera, "microphone_allowed": microphone}
        fields = {column: value for column, value in allowed.items() if value is not None}
        if not fields:
            raise ProtocolError("bad_field", "allow: camera and/or microphone, true or false")
        await database_sync_to_async(actions.allow)(self.admitted.run_id, **fields)

    async def on_lock(self, locked: bool) -> None:
        await database_sync_to_async(actions.lock)(self.admitted.run_id, locked)

    async def on_remove(self, user: int) -> None:
        if user == self.user.pk:
            raise ProtocolError("bad_field", "remove.user: a student's id, not your own")
        await database_sync_to_async(actions.remove)(self.admitted.run_id, self.user, user)
        # Do not rely on the removed user's socket alone: kick their feeds from Janus too.
        self.require_media()
        for feed, info in (await self.feeds_in_room()).items():
            if info["user"] == user:
                with contextlib.suppress(JanusError):
                    await moderated_request(
                        self.session, self.room_handle, self.admitted.janus_room, {"request": "kick", "id": feed}
                    )

    async def on_record(self, on: bool) -> None:
        """Start or stop Janus's recorder for the whole room; every page hears ``state`` with ``recording``."""
        janus, handle = self.require_media()
        run_id, room = self.admitted.run_id, self.admitted.janus_room
        if on:
            rec_dir = await database_sync_to_async(actions.start_recording)(run_id, self.user)
            try:
                await set_recording(janus, handle, room, rec_dir)
            except JanusError:
                await database_sync_to_async(actions.abandon_recording)(run_id, self.user)
                raise
        else:
            await self.stop_janus_recording()
            await database_sync_to_async(actions.stop_recording)(run_id, self.user)

    async def stop_janus_recording(self) -> None:
        """Janus closes every recorded file before it answers; if it is gone, so are its open files."""
        if self.janus is not None and self.main_handle is not None:
            with contextlib.suppress(JanusError):
                await set_recording(self.janus, self.main_handle, self.admitted.janus_room, None)

    async def on_end(self) -> None:
        run_id = self.admitted.run_id
        await self.stop_janus_recording()
        await database_sync_to_async(actions.end)(run_id, self.user)
        if self.janus is not None and self.main_handle is not None:
            with contextlib.suppress(JanusError):
                await moderated_request(self.janus, self.main_handle, self.admitted.janus_room, {"request": "destroy"})

    async def rights_changed(self, user: Any) -> None:
        """The user's role in the lesson is read again (server.ws.rights): no role any more → ``removed`` and
        closed (4403); another role → closed with ``RIGHTS_CHANGED``, the page joins again in the new role."""
        self.user = user
        admission = getattr(self, "admission", None)
        if admission is None:
            return  # not joined (or connect() has not run yet): ``join`` reads the role when it comes
        role = await database_sync_to_async(_role_in_lesson)(user, self.lesson_id)
        if role is None:
            await self.send_json(notice("removed", _("Вы больше не участник этого урока.")))
            await self.leave_lesson()
            await self.revoke(CloseCode.FORBIDDEN)
        elif role != admission.role:
            await self.leave_lesson()
            await self.revoke(CloseCode.RIGHTS_CHANGED)

    # ----- channel layer events (lessons.actions publishes them) ---------------------------
    async def lesson_participants(self, message: protocol.ParticipantsEvent) -> None:
        participants: protocol.Participants = {"type": "participants", "list": message["list"]}
        await self.send_json(participants)

    async def lesson_talking(self, message: protocol.TalkingEvent) -> None:
        talking: protocol.Talking = {"type": "talking", "user": message["user"], "on": message["on"]}
        await self.send_json(talking)

    async def lesson_state(self, message: protocol.StateEvent) -> None:
        state: protocol.StateFrame = {"type": "state", "state": message["state"]}
        await self.send_json(state)

    async def lesson_moderation(self, message: protocol.ModerationEvent) -> None:
        mine = message["blocked"].get(str(self.user.pk))
        if mine is None or mine == self.blocked:
            return
        self.blocked = mine
        await self.apply_blocked(mine)
        moderated: protocol.Moderated = {"type": "moderated", "blocked": mine}
        await self.send_json(moderated)

    async def apply_blocked(self, blocked: protocol.Blocked) -> None:
        """Enforce in Janus: it stops forwarding our muted streams whatever the browser sends."""
        if self.janus is None or self.main_handle is None:
            return
        for stream in self.published_streams.get("camera", []):
            mute = blocked.get(stream.get("type", ""))
            if mute is not None and "mid" in stream:
                with contextlib.suppress(JanusError):
                    await moderated_request(
                        self.janus,
                        self.main_handle,
                        self.admitted.janus_room,
                        {
                            "request": "moderate",
                            "id": self.feed_ids["camera"],
                            "mid": stream["mid"],
                            "mute": mute,
                        },
                    )

    async def lesson_remove(self, message: protocol.RemoveEvent) -> None:
        if message["user"] == self.user.pk:
            await self.send_json(notice("removed", _("Учитель удалил вас с урока.")))
            await self.leave_lesson()
            await self.close(code=CloseCode.FORBIDDEN)

    async def lesson_media_moved(self, message: protocol.MediaMovedEvent) -> None:
        """The room moved to another Janus (ours died, or another process found it dead): leave ours, rejoin."""
        if self.janus is not None and self.janus.base_url != message["instance"].rstrip("/"):
            await self.drop_media()
            await self.send_json(media_lost())

    async def lesson_end(self, message: protocol.EndEvent) -> None:
        await self.send_json(notice("ended", _("Урок завершён.")))
        await self.leave_lesson()
        await self.close(code=1000)

    # ----- Janus events ---------------------------------------------------------------------
    def require_media(self) -> tuple[JanusSession, int]:
        """Our Janus session and its handle in the room: none between a lost session and the next 'join'."""
        if self.janus is None or self.main_handle is None:
            raise ProtocolError("media_unavailable", _("нет связи с медиасервером: переподключитесь (join)"))
        return self.janus, self.main_handle

    @property
    def session(self) -> JanusSession:
        return self.require_media()[0]

    @property
    def room_handle(self) -> int:
        return self.require_media()[1]

    @property
    def admitted(self) -> live.Admission:
        """The admission: handle_message lets nothing but 'join' through before there is one."""
        if self.admission is None:
            raise ProtocolError("not_joined", "send 'join' first")
        return self.admission

    async def janus_event_received(self, event: dict) -> None:
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
                    self.admitted.run_id, self.admitted.participant_id, self.user.pk, on
                )
            return
        for publisher in data.get("publishers", []):
            info = self.remember_feed(publisher)
            if info is not None:
                added: protocol.FeedAdded = {"type": "feed.added", "feed": {"id": publisher["id"], **info}}
                await self.send_json(added)
        for key in ("unpublished", "leaving", "kicked"):
            feed = data.get(key)
            if type(feed) is int and self.known_feeds.pop(feed, None) is not None:
                handle = self.subscriptions.pop(feed, None)
                if handle is not None:
                    await self.session.detach(handle)
                removed: protocol.FeedRemoved = {"type": "feed.removed", "feed": feed}
                await self.send_json(removed)

    async def janus_session_lost(self) -> None:
        """Janus restarted or died: tell the browser; it sends 'join' again and we recreate the room, on
        another instance if this one is dead (lessons.janus_placement)."""
        url = self.janus.base_url if self.janus is not None else None
        self.drop_media_state()
        if url is not None:
            await janus_placement.report_failure(url)
        await self.send_json(media_lost())

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
