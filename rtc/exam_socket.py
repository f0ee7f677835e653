"""The student's exam socket: WebRTC signalling for the camera, browser events, session control.

One socket per exam page (a newer one of the same session takes over). The aiortc peer, and the
peers that relay the camera to watching proctors, live as long as the socket: they are closed on
disconnect, when daphne cancels the consumer (the try/finally around ``__call__``) and at server
shutdown (the reactor trigger in :mod:`rtc.peer`); otherwise daphne never exits (../shared/STACK.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from proctor import enrollment
from proctor.episodes import EpisodeEvent
from proctor.live import broadcast, thumbnails
from proctor.live import sessions as live_sessions
from proctor.live.browser_events import BROWSER_EVENTS
from proctor.live.pipeline import Evidence, StreamResult, pipeline, spawn, wall_clock
from proctor.models import ExamSession
from proctor.models.exams import evidence_token
from proctor.policy import Policy, PolicyError
from server.ws import CLOSE_FORBIDDEN, JsonProtocolConsumer, ProtocolError

from .grades import GRADES
from .peer import MAX_SDP_BYTES, StudentPeer, ViewerPeer

log = logging.getLogger(__name__)

CLOSE_SESSION_OVER = 4410
CLOSE_REPLACED = 4409
EVENT_BURST = 20  # browser events accepted per EVENT_WINDOW seconds
EVENT_WINDOW = 10.0
TEARDOWN_TIMEOUT = 2.0


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _load(session_id: int) -> tuple[int, Any, Policy]:
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    try:
        policy = Policy.from_dict(session.exam.policy or None)
    except PolicyError:
        log.exception("exam %s has an unusable policy; using the defaults", session.exam_id)
        policy = Policy()
    return session.exam_id, enrollment.reference_embedding(session.student), policy


class ExamSessionConsumer(JsonProtocolConsumer):
    max_frame_bytes = MAX_SDP_BYTES + 1024

    session_id: int | None = None
    epoch = 0  # this socket's connection epoch (live_sessions.connect)
    exam_id: int | None = None
    peer: StudentPeer | None = None
    media_reported = False
    ended = False
    replaced = False

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._teardown()

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope["user"]
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        try:
            summary, self.epoch = await database_sync_to_async(live_sessions.connect)(session_id, user.pk)
        except (ExamSession.DoesNotExist, PermissionError):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except live_sessions.SessionClosed:
            await self.accept()
            await self.send_json({"type": "session.ended", "reason": "already_ended"})
            await self.close(code=CLOSE_SESSION_OVER)
            return
        self.session_id = session_id
        self.exam_id, reference, policy = await database_sync_to_async(_load)(session_id)
        self.event_times: list[float] = []
        self.deadline_timer: asyncio.TimerHandle | None = None
        self.viewers: dict[str, ViewerPeer] = {}  # proctor dashboard channel -> peer sending the camera live
        await broadcast.to_session(session_id, "replaced", epoch=self.epoch)  # an older tab of this session steps down
        pipeline().register(session_id, self._deliver, policy, reference)
        pipeline().monitor(session_id, summary["state"] == ExamSession.State.RUNNING)
        await self.channel_layer.group_add(broadcast.session_group(session_id), self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "session.state",
                **summary,
                "has_reference": reference is not None,
                "ice_servers": settings.RTC_ICE_SERVERS,
                "grade": GRADES["analysis"].as_parameters(),
            }
        )
        await broadcast.to_dashboard(self.exam_id, {"type": "session.updated", **summary})
        await self._watch_deadline(summary)

    async def _watch_deadline(self, summary: dict) -> None:
        """End a running session at its deadline even if the page never submits."""
        if summary["state"] != ExamSession.State.RUNNING or self.deadline_timer is not None:
            return
        deadline = await database_sync_to_async(_deadline)(self.session_id)
        if deadline is not None:
            delay = max(0.0, deadline.timestamp() - time.time())
            self.deadline_timer = asyncio.get_running_loop().call_later(
                delay, lambda: spawn(self._end(ExamSession.EndReason.TIMEOUT))
            )

    async def _teardown(self) -> None:
        """Close the peer and pause the session; runs on disconnect and on cancellation."""
        if self.session_id is None:
            return
        session_id, self.session_id = self.session_id, None
        pipeline().unregister(session_id, self._deliver)
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
        for viewer in self.viewers.values():
            await viewer.close()
        self.viewers.clear()
        if self.peer is not None:
            peer, self.peer = self.peer, None
            await peer.close()
        if self.ended or self.replaced:
            return
        try:
            await asyncio.wait_for(self._pause(session_id), TEARDOWN_TIMEOUT)
        except Exception:
            log.exception("could not pause exam session %s", session_id)

    async def _pause(self, session_id: int) -> None:
        await self.channel_layer.group_discard(broadcast.session_group(session_id), self.channel_name)
        paused = await database_sync_to_async(live_sessions.disconnect)(session_id, self.epoch)
        if paused is None:
            return  # a newer socket owns the session: it stays as that socket left it
        summary, episode = paused
        await broadcast.to_dashboard(self.exam_id, {"type": "session.updated", **summary})
        if episode:
            await self._announce_episode("episode.opened", episode, time.time())
        if summary["state"] == ExamSession.State.PAUSED:
            asyncio.get_running_loop().call_later(
                settings.PROCTOR_RESUME_GRACE_SECONDS + 0.5,
                lambda: spawn(self._expire(session_id, self.exam_id)),
            )

    @staticmethod
    async def _expire(session_id: int, exam_id: int) -> None:
        def check() -> dict | None:
            session = ExamSession.objects.get(pk=session_id)
            return live_sessions.expire_after_grace(session_id, session.disconnected_at)

        summary = await database_sync_to_async(check)()
        if summary:
            await broadcast.to_dashboard(exam_id, {"type": "session.updated", **summary})

    # --- messages from the browser ----------------------------------------------------------

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if self.session_id is None:
            raise ProtocolError("no_session", "the session is not open on this socket")
        handler = {
            "offer": self._offer,
            "identity.check": self._identity_check,
            "browser_event": self._browser_event,
            "submit": self._submit,
            "ping": self._ping,
        }.get(content["type"])
        if handler is None:
            raise ProtocolError("unknown_type", f"unknown message type {content['type']!r}")
        await handler(content)

    async def _ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    async def _offer(self, content: dict) -> None:
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_BYTES:
            raise ProtocolError("bad_sdp", f"sdp: a complete SDP offer (v=0...) of at most {MAX_SDP_BYTES} bytes")
        if "m=video" not in sdp:
            raise ProtocolError("bad_sdp", "the offer must carry the camera (m=video)")
        if self.peer is not None:
            old, self.peer = self.peer, None
            await old.close()
        self.media_reported = False
        self.peer = StudentPeer(on_frame=self._frame, on_state=self._peer_state)
        try:
            answer = await self.peer.answer(sdp)
        except Exception as error:  # aiortc raises ValueError/others on malformed SDP
            peer, self.peer = self.peer, None
            await peer.close()
            raise ProtocolError("bad_sdp", f"the offer was rejected: {error}") from None
        await self.send_json({"type": "answer", "sdp": answer})

    def _frame(self, frame: Any) -> None:
        if self.session_id is None:
            return
        pipeline().offer(self.session_id, frame)
        if not self.media_reported:
            self.media_reported = True
            spawn(self._media_ready())

    async def _media_ready(self) -> None:
        if self.session_id is None:
            return
        summary = await database_sync_to_async(live_sessions.media_ready)(self.session_id)
        await self.send_json({"type": "media.ok", **summary})
        await self._state_changed(summary)

    def _peer_state(self, state: str) -> None:
        if state in ("failed", "closed", "track_ended"):
            spawn(self._safe_send({"type": "media.lost", "state": state}))

    async def _safe_send(self, frame: dict) -> None:
        with contextlib.suppress(Exception):
            await self.send_json(frame)

    async def _identity_check(self, content: dict) -> None:
        _, reference, _ = await database_sync_to_async(_load)(self.session_id)
        if reference is None:
            raise ProtocolError("no_reference", "give consent and upload or take a reference photo first")
        pipeline().check_identity(self.session_id, reference)
        await self.send_json({"type": "identity.checking"})

    async def _browser_event(self, content: dict) -> None:
        event = content.get("event")
        if not isinstance(event, str) or event not in BROWSER_EVENTS:
            raise ProtocolError("bad_event", f"event: one of {', '.join(sorted(BROWSER_EVENTS))}")
        now = time.time()
        self.event_times = [t for t in self.event_times if now - t < EVENT_WINDOW][-EVENT_BURST:]
        if len(self.event_times) >= EVENT_BURST:
            raise ProtocolError("rate_limited", f"at most {EVENT_BURST} events per {EVENT_WINDOW:.0f} s")
        self.event_times.append(now)
        kind, active = BROWSER_EVENTS[event]
        events = await asyncio.to_thread(pipeline().browser_signal, self.session_id, kind, active)
        await self._record_events(events)
        await self.send_json({"type": "event.recorded", "event": event})

    async def _submit(self, content: dict) -> None:
        await self._end(ExamSession.EndReason.SUBMITTED)

    async def _end(self, reason: str, actor=None) -> None:
        if self.session_id is None:
            return
        summary = await database_sync_to_async(live_sessions.end_session)(self.session_id, reason, actor)
        self.ended = True
        await self.send_json({"type": "session.ended", "reason": reason})
        await broadcast.to_dashboard(self.exam_id, {"type": "session.updated", **summary})
        await self.close(code=CLOSE_SESSION_OVER)

    # --- results of analysis (posted from the worker threads) -----------------------------------

    async def _deliver(self, result: StreamResult) -> None:
        if self.session_id is None:
            return
        if result.identity is not None:
            passed, score = result.identity
            summary = await database_sync_to_async(live_sessions.identity_result)(self.session_id, passed, score)
            await self.send_json({"type": "identity.result", "passed": passed, "score": score, **summary})
            await self._state_changed(summary)
        await self._record_events(result.events)
        if result.thumbnail:
            thumbnails.board().put(self.exam_id, self.session_id, result.thumbnail)

    async def _record_events(self, events: list[tuple[EpisodeEvent, Evidence | None]]) -> None:
        """Persist the engine's decisions and push them to the proctors."""
        for event, evidence in events:
            episode = event.episode
            if event.action == "opened":
                payload = await database_sync_to_async(live_sessions.open_episode)(
                    self.session_id,
                    episode.kind,
                    _when(wall_clock(episode.start)),
                    episode.peak,
                    evidence.token if evidence else evidence_token(),
                    evidence.relative_path if evidence else "",
                )
            else:
                payload = await database_sync_to_async(live_sessions.close_episode)(
                    self.session_id, episode.kind, _when(wall_clock(episode.end)), episode.peak
                )
            if payload:
                await self._announce_episode(f"episode.{event.action}", payload, wall_clock(event.at))

    async def _announce_episode(self, kind: str, episode: dict, decided_at: float) -> None:
        await broadcast.to_dashboard(self.exam_id, {"type": kind, "episode": episode, "decided_at": decided_at})

    async def _state_changed(self, summary: dict) -> None:
        pipeline().monitor(self.session_id, summary["state"] == ExamSession.State.RUNNING)
        await self._watch_deadline(summary)
        await self.send_json({"type": "session.state", **summary})
        await broadcast.to_dashboard(self.exam_id, {"type": "session.updated", **summary})

    # --- control from proctors (channel layer) ----------------------------------------------

    async def _start_viewer(self, reply_to: str, sdp: str) -> None:
        """A proctor opened this student live: answer their browser's offer with the camera."""
        track = self.peer.live_track() if self.peer is not None else None
        if track is None:
            reply = _view_reply(self.session_id, type="view.error", detail="камера ученика ещё не подключена")
            await self.channel_layer.send(reply_to, reply)
            return
        if (old := self.viewers.pop(reply_to, None)) is not None:
            await old.close()
        viewer = self.viewers[reply_to] = ViewerPeer(track)
        try:
            answer = await viewer.answer(sdp)
        except Exception as error:
            self.viewers.pop(reply_to, None)
            await viewer.close()
            reply = _view_reply(self.session_id, type="view.error", detail=f"the offer was rejected: {error}")
        else:
            reply = _view_reply(self.session_id, type="view.answer", sdp=answer)
        await self.channel_layer.send(reply_to, reply)

    async def session_control(self, message: dict) -> None:
        if self.session_id is None:
            return
        action = message["action"]
        if action == "grade":
            grade = message["grade"]
            pipeline().watch(self.session_id, grade == "live")
            await self.send_json({"type": "grade", "name": grade, "grade": GRADES[grade].as_parameters()})
        elif action == "warning":
            await self.send_json({"type": "warning", "text": message["text"]})
        elif action == "admitted":
            await self._state_changed(await database_sync_to_async(_summary)(self.session_id))
        elif action == "view_offer":
            await self._start_viewer(message["reply_to"], message["sdp"])
        elif action == "view_close":
            viewer = self.viewers.pop(message["reply_to"], None)
            if viewer is not None:
                await viewer.close()
        elif action == "replaced" and message["epoch"] > self.epoch:
            self.replaced = True
            await self.send_json({"type": "session.replaced"})
            await self.close(code=CLOSE_REPLACED)
        elif action == "ended":
            self.ended = True
            await self.send_json({"type": "session.ended", "reason": message["reason"]})
            await self.close(code=CLOSE_SESSION_OVER)


def _view_reply(session_id: int, **fields) -> dict:
    return {"type": "dashboard.event", "event": {"session": session_id, **fields}}


def _deadline(session_id: int):
    return ExamSession.objects.select_related("exam").get(pk=session_id).deadline


def _summary(session_id: int) -> dict:
    return live_sessions.session_summary(ExamSession.objects.select_related("student").get(pk=session_id))
