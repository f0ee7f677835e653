"""The student's exam socket: WebRTC signalling for the camera, browser events, session control.

One socket per exam page (a newer one of the same session takes over). The socket keeps the browser
protocol and the session's state in the database; the camera's aiortc peer, the proctors' live-view peers
and the analysis live on the session's media worker (:mod:`proctor.media.worker`, reached through the channel
layer, :mod:`proctor.media.link`): this socket forwards the offer and session control to it and relays its
answers, ``media.ok`` / ``media.lost`` and identity results to the browser. The worker announces episodes
and thumbnails to the proctors itself. On disconnect (and when daphne cancels the consumer: the
try/finally around ``__call__``) the socket detaches from the worker, which closes the peers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.conf import settings

from rtc.peer import MAX_SDP_BYTES
from server.aio import spawn
from server.ws import CloseCode, JsonProtocolConsumer, ProtocolError

from .. import actions, enrollment
from ..live import broadcast
from ..live import sessions as live_sessions
from ..live.browser_events import BROWSER_EVENTS
from ..models import ExamSession
from . import link as media_link
from . import worker as media_worker
from .grades import grade

log = logging.getLogger(__name__)

EVENT_BURST = 20  # browser events accepted per EVENT_WINDOW seconds
EVENT_WINDOW = 10.0
TEARDOWN_TIMEOUT = 2.0


def _exam_facts(session_id: int) -> tuple[int, float, bool]:
    """The session's exam, its analysis rate and whether the student has a usable reference photo (consent
    included)."""
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    has_reference = enrollment.reference_embedding(session.student) is not None
    return session.exam_id, session.exam.vision_policy().analysis_fps, has_reference


class ExamSessionConsumer(JsonProtocolConsumer):
    max_frame_bytes = MAX_SDP_BYTES + 1024

    session_id: int | None = None
    epoch = 0  # this socket's connection epoch (actions.connect)
    exam_id: int | None = None
    analysis_fps = 2.0  # the exam policy's (sets the analysis grade)
    ended = False
    replaced = False
    offers = 0  # offers sent to the worker; its replies name the one they answer
    offer_timer: asyncio.TimerHandle | None = None  # the newest offer's deadline, None once answered
    deadline_timer: asyncio.TimerHandle | None = None

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
            summary, self.epoch = await database_sync_to_async(actions.connect)(session_id, user.pk)
        except (ExamSession.DoesNotExist, PermissionError):
            await self.accept()
            await self.close(code=CloseCode.FORBIDDEN)
            return
        except live_sessions.SessionClosed:
            await self.accept()
            await self.send_json({"type": "session.ended", "reason": "already_ended"})
            await self.close(code=CloseCode.SESSION_OVER)
            return
        self.session_id = session_id
        self.exam_id, self.analysis_fps, has_reference = await database_sync_to_async(_exam_facts)(session_id)
        self.event_times: list[float] = []
        await broadcast.to_session(session_id, "replaced", epoch=self.epoch)  # an older tab of this session steps down
        media_worker.start_embedded()
        await self._to_worker("attach")
        await self.channel_layer.group_add(broadcast.session_group(session_id), self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "session.state",
                **summary,
                "has_reference": has_reference,
                "ice_servers": settings.RTC_ICE_SERVERS,
                "grade": grade("analysis", self.analysis_fps).as_parameters(),
            }
        )
        await self._watch_deadline(summary)

    async def _to_worker(self, action: str, **fields: Any) -> None:
        try:
            await media_link.to_worker(self.session_id, self.channel_name, action, **fields)
        except ChannelFull:
            raise ProtocolError("media_busy", "the media server is overloaded: try again shortly") from None

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
        """Release the worker's peers and pause the session; runs on disconnect and on cancellation."""
        if self.session_id is None:
            return
        for timer in (self.deadline_timer, self.offer_timer):
            if timer is not None:
                timer.cancel()
        try:
            await asyncio.wait_for(self._to_worker("detach"), TEARDOWN_TIMEOUT)
        except Exception:
            log.exception("could not tell the media worker that exam session %s left", self.session_id)
        session_id, self.session_id = self.session_id, None
        if self.ended or self.replaced:
            return
        try:
            await asyncio.wait_for(self._pause(session_id), TEARDOWN_TIMEOUT)
        except Exception:
            log.exception("could not pause exam session %s", session_id)

    async def _pause(self, session_id: int) -> None:
        await self.channel_layer.group_discard(broadcast.session_group(session_id), self.channel_name)
        paused = await database_sync_to_async(actions.disconnect)(session_id, self.epoch)
        if paused is None:
            return  # a newer socket owns the session: it stays as that socket left it
        summary, _ = paused
        if summary["state"] == ExamSession.State.PAUSED:
            asyncio.get_running_loop().call_later(
                settings.PROCTOR_RESUME_GRACE_SECONDS + 0.5,
                lambda: spawn(database_sync_to_async(actions.expire_after_grace)(session_id)),
            )

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
        """Forward the offer to the worker; an error frame follows if no answer comes in time."""
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_BYTES:
            raise ProtocolError("bad_sdp", f"sdp: a complete SDP offer (v=0...) of at most {MAX_SDP_BYTES} bytes")
        if "m=video" not in sdp:
            raise ProtocolError("bad_sdp", "the offer must carry the camera (m=video)")
        self.offers += 1
        await self._to_worker("offer", sdp=sdp, request=self.offers)
        if self.offer_timer is not None:
            self.offer_timer.cancel()
        self.offer_timer = asyncio.get_running_loop().call_later(
            settings.RTC_MEDIA_OFFER_TIMEOUT_SECONDS, lambda request=self.offers: spawn(self._offer_timed_out(request))
        )

    def _answers_pending_offer(self, message: dict) -> bool:
        """Whether a worker reply answers the newest offer in time (later ones were already reported)."""
        if message["request"] != self.offers or self.offer_timer is None:
            return False
        self.offer_timer.cancel()
        self.offer_timer = None
        return True

    async def _offer_timed_out(self, request: int) -> None:
        if request == self.offers and self.offer_timer is not None and self.session_id is not None:
            self.offer_timer = None
            detail = (
                f"the media server did not answer within {settings.RTC_MEDIA_OFFER_TIMEOUT_SECONDS:g} s: offer again"
            )
            await self.send_error("media_timeout", detail)

    async def _identity_check(self, content: dict) -> None:
        *_, has_reference = await database_sync_to_async(_exam_facts)(self.session_id)
        if not has_reference:
            raise ProtocolError("no_reference", "give consent and upload or take a reference photo first")
        await self._to_worker("identity")
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
        await self._to_worker("browser_event", kind=kind, active=active)
        await self.send_json({"type": "event.recorded", "event": event})

    async def _submit(self, content: dict) -> None:
        await self._end(ExamSession.EndReason.SUBMITTED)

    async def _end(self, reason: str, actor=None) -> None:
        if self.session_id is None:
            return
        # This socket closes itself: the session's "ended" control is for any other socket of the session.
        await self.channel_layer.group_discard(broadcast.session_group(self.session_id), self.channel_name)
        await database_sync_to_async(actions.end_session)(self.session_id, reason, actor)
        self.ended = True
        await self.send_json({"type": "session.ended", "reason": reason})
        await self.close(code=CloseCode.SESSION_OVER)

    async def _state_changed(self, summary: dict) -> None:
        await self._to_worker("monitor", on=summary["state"] == ExamSession.State.RUNNING)
        await self._watch_deadline(summary)
        await self.send_json({"type": "session.state", **summary})

    # --- replies from the media worker (channel layer) --------------------------------------

    async def media_answer(self, message: dict) -> None:
        if self.session_id is not None and self._answers_pending_offer(message):
            await self.send_json({"type": "answer", "sdp": message["sdp"]})

    async def media_rejected(self, message: dict) -> None:
        if self.session_id is not None and self._answers_pending_offer(message):
            await self.send_error("bad_sdp", message["detail"])

    async def media_ok(self, message: dict) -> None:
        """The worker decoded the first frame: the camera stream works."""
        if self.session_id is None:
            return
        summary = await database_sync_to_async(actions.media_ready)(self.session_id)
        await self.send_json({"type": "media.ok", **summary})
        await self._state_changed(summary)

    async def media_lost(self, message: dict) -> None:
        if self.session_id is not None:
            with contextlib.suppress(Exception):
                await self.send_json({"type": "media.lost", "state": message["state"]})

    async def media_identity(self, message: dict) -> None:
        if self.session_id is None:
            return
        passed, score = message["passed"], message["score"]
        summary = await database_sync_to_async(actions.identity_result)(self.session_id, passed, score)
        await self.send_json({"type": "identity.result", "passed": passed, "score": score, **summary})
        await self._state_changed(summary)

    # --- control from proctors (channel layer) ----------------------------------------------

    async def session_control(self, message: dict) -> None:
        if self.session_id is None:
            return
        action = message["action"]
        if action == "grade":
            name = message["grade"]
            await self._to_worker("watch", on=name == "live")
            parameters = grade(name, self.analysis_fps).as_parameters()
            await self.send_json({"type": "grade", "name": name, "grade": parameters})
        elif action == "warning":
            await self.send_json({"type": "warning", "text": message["text"]})
        elif action == "admitted":
            await self._state_changed(await database_sync_to_async(_summary)(self.session_id))
        elif action == "view_offer":
            await self._to_worker("view_offer", viewer=message["reply_to"], sdp=message["sdp"])
        elif action == "view_close":
            await self._to_worker("view_close", viewer=message["reply_to"])
        elif action == "replaced" and message["epoch"] > self.epoch:
            self.replaced = True
            await self.send_json({"type": "session.replaced"})
            await self.close(code=CloseCode.REPLACED)
        elif action == "ended":
            self.ended = True
            await self.send_json({"type": "session.ended", "reason": message["reason"]})
            await self.close(code=CloseCode.SESSION_OVER)


def _deadline(session_id: int):
    return ExamSession.objects.select_related("exam").get(pk=session_id).deadline


def _summary(session_id: int) -> dict:
    return live_sessions.session_summary(ExamSession.objects.select_related("student").get(pk=session_id))
