"""The student's exam socket: WebRTC signalling for the camera, browser events, session control.

One socket per exam page (a newer one of the same session takes over). The socket keeps the browser
protocol and the session's state in the database; the camera's aiortc peer, the proctors' live-view peers
and the analysis live on the session's media worker (:mod:`proctor.media.worker`, reached through the channel
layer, :mod:`proctor.media.link`): this socket forwards the offer and session control to it and relays its
answers, ``media.ok`` / ``media.lost``, identity results (passed or not, never the score) and reference photos
taken from the stream to the browser. No offer is forwarded before the student's biometric consent exists.
The worker announces episodes and thumbnails to the proctors itself. On disconnect (and when daphne
cancels the consumer: the try/finally around ``__call__``) the socket detaches from the worker, which
closes the peers.

The socket places its session on a worker when it connects (:func:`proctor.actions.place_media`) and follows
that worker through this process's :class:`~proctor.media.registry.WorkerWatch`: when the worker dies (or says
it stops) the session moves to a live worker and the page hears ``media.lost`` (``worker_lost``), on which it
offers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.conf import settings

from server.accounts.models import User
from server.aio import spawn
from server.ws import PONG, CloseCode, JsonProtocolConsumer, Pong, ProtocolError, RateLimit, Reply

from .. import actions, enrollment
from ..kinds import Kind
from ..live import broadcast
from ..live import sessions as live_sessions
from ..live.browser_events import BROWSER_EVENTS
from ..live.sessions import ExamTasks, SessionSummary
from ..models import ExamSession
from ..quality import Issue
from . import link as media_link
from . import protocol, registry
from . import worker as media_worker
from .grades import grade
from .sdp import offer_problem

log = logging.getLogger(__name__)

BROWSER_EVENT_RATE = RateLimit("browser events", 20, 10)  # per session
# Per session, so a hostile page cannot keep its worker busy with peers (each offer builds a new one) or its
# analyst with identity checks; a real page offers once per connect and after each media_timeout, and asks for
# the identity check once per connect and per click. The detail states the limit (docs/exam-protocol.md).
OFFER_RATE = RateLimit("offers (at most 10 a minute per session)", 10, 60)
IDENTITY_CHECK_RATE = RateLimit("identity checks (at most 6 a minute per session)", 6, 60)
TEARDOWN_TIMEOUT = 2.0

Message = TypeVar("Message")
ChannelHandler = Callable[["ExamSessionConsumer", Message], Awaitable[None]]


def while_attached(handler: ChannelHandler[Message]) -> ChannelHandler[Message]:
    """Drop a channel-layer message that reaches a socket not (or no longer) attached to its session."""

    @functools.wraps(handler)
    async def attached(self: ExamSessionConsumer, message: Message) -> None:
        if self.session_id is not None:
            await handler(self, message)

    return attached


def _exam_facts(session_id: int) -> tuple[int, float, bool, bool, bool]:
    """The session's exam, its analysis rate, whether the student has a usable reference photo (consent
    included), whether the exam listens to the microphone and whether it watches the shared screen."""
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    has_reference = enrollment.reference_embedding(session.student) is not None
    policy = session.exam.vision_policy()
    screen = policy.enabled(Kind.SCREEN_SHARE_STOPPED)
    return session.exam_id, policy.analysis_fps, has_reference, policy.enabled(Kind.SPEECH), screen


class ExamSessionConsumer(JsonProtocolConsumer):
    schemas = protocol.SCHEMAS
    max_frame_bytes = protocol.MAX_OFFER_BYTES + 1024

    session_id: int | None = None
    media_worker_id: int | None = None  # the worker the session is placed on (None: none was live)
    placing: asyncio.Lock
    epoch = 0  # this socket's connection epoch (actions.connect)
    exam_id: int | None = None
    analysis_fps = 2.0  # the exam policy's (sets the analysis grade)
    microphone = True  # the exam policy's: the offer may carry the microphone (proctor.media.sdp)
    screen = True  # the exam policy's: the offer may carry the shared screen (proctor.media.sdp)
    ended = False
    replaced = False
    offers = 0  # offers sent to the worker; its replies name the one they answer
    offer_timer: asyncio.TimerHandle | None = None  # the newest offer's deadline, None once answered
    identity_checking = False  # an identity check asked for on this socket has no verdict yet
    deadline_timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._teardown()

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope["user"]
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        try:
            summary: SessionSummary
            summary, self.epoch = await database_sync_to_async(actions.connect)(session_id, user.pk)
        except (ExamSession.DoesNotExist, PermissionError):
            await self.accept()
            await self.close(code=CloseCode.FORBIDDEN)
            return
        except live_sessions.SessionClosed:
            await self.accept()
            await self.send_json(ended_frame("already_ended"))
            await self.close(code=CloseCode.SESSION_OVER)
            return
        self.placing = asyncio.Lock()
        self.session_id = session_id
        facts = await database_sync_to_async(_exam_facts)(session_id)
        self.exam_id, self.analysis_fps, has_reference, self.microphone, self.screen = facts
        await broadcast.to_session(session_id, "replaced", epoch=self.epoch)  # an older tab of this session steps down
        await media_worker.start_embedded()
        async with self.placing:
            await self._place()
        await self.channel_layer.group_add(broadcast.session_group(session_id), self.channel_name)
        await self.accept()
        state: protocol.ConnectedState = {
            "type": "session.state",
            **summary,
            "has_reference": has_reference,
            "ice_servers": settings.RTC_ICE_SERVERS,
            "grade": grade("analysis", self.analysis_fps).as_parameters(),
        }
        await self.send_json(state)
        await self._watch_deadline(summary)

    async def _to_worker(self, action: str, **fields: Any) -> None:
        """Send to the session's worker, placing the session first if it has none (yet): with no live worker
        the message is dropped, and an offer then times out (``media_timeout``: the page offers again)."""
        if self.session_id is None:  # refused in connect(): frames that raced the close have no worker to go to
            return
        if self.media_worker_id is None and action != "detach":
            async with self.placing:
                if self.media_worker_id is None and not await self._place():
                    log.warning("no live media worker for exam session %s: %s dropped", self.session_id, action)
        if self.media_worker_id is None:
            return
        try:
            await media_link.to_worker(self.media_worker_id, self.session_id, self.channel_name, action, **fields)
        except ChannelFull:
            raise ProtocolError("media_busy", "the media server is overloaded: try again shortly") from None

    async def _place(self, lost: int | None = None) -> bool:
        """Place the session (again: off the ``lost`` worker), follow its worker and attach to it (the caller
        holds ``placing``)."""
        session_id = self.session_id
        assert session_id is not None
        worker = await database_sync_to_async(actions.place_media)(session_id, lost)
        if worker is None or self.session_id is None:
            return False
        self.media_worker_id = worker
        (await registry.watch()).follow(worker, self, self._worker_lost)
        await media_link.to_worker(worker, session_id, self.channel_name, "attach")
        return True

    async def _worker_lost(self, worker: int) -> None:
        """The session's worker died or stopped: move the session, let the old worker go (if it still runs, it
        closes the peer), and tell the page to offer again (a pending offer went to the old worker)."""
        async with self.placing:
            if self.session_id is None or self.media_worker_id != worker:
                return  # moved already, or the socket is gone
            self.media_worker_id = None
            (await registry.watch()).unfollow(worker, self)
            with contextlib.suppress(Exception):
                await media_link.to_worker(worker, self.session_id, self.channel_name, "detach")
            if self.offer_timer is not None:
                self.offer_timer.cancel()
                self.offer_timer = None
            try:
                moved = await self._place(lost=worker)
            except Exception:  # e.g. the database is restarting: the page's next offer places the session
                log.exception("could not move exam session %s off media worker %s", self.session_id, worker)
                moved = False
        log.info("exam session %s left dead media worker %s (moved: %s)", self.session_id, worker, moved)
        lost: protocol.MediaLost = {"type": "media.lost", "state": "worker_lost"}
        with contextlib.suppress(Exception):
            await self.send_json(lost)

    async def _watch_deadline(self, summary: SessionSummary) -> None:
        """End a running session when its time is up even if the page never submits (rescheduled when the
        tasks' release sets the deadline)."""
        if summary["state"] != ExamSession.State.RUNNING:
            return
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
        time_up_at = await database_sync_to_async(_time_up_at)(self.session_id)
        delay = max(0.0, time_up_at.timestamp() - time.time())
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
        if self.media_worker_id is not None:
            (await registry.watch()).unfollow(self.media_worker_id, self)
        session_id, self.session_id = self.session_id, None
        if self.identity_checking and not self.ended:
            try:  # the worker dropped the check with the stream: it decided nothing and costs no attempt
                await asyncio.wait_for(
                    database_sync_to_async(actions.identity_check_interrupted)(session_id), TEARDOWN_TIMEOUT
                )
            except Exception:
                log.exception("could not return the interrupted identity check of exam session %s", session_id)
        if self.ended or self.replaced:
            return
        try:
            await asyncio.wait_for(self._pause(session_id), TEARDOWN_TIMEOUT)
        except Exception:
            log.exception("could not pause exam session %s", session_id)

    async def _pause(self, session_id: int) -> None:
        await self.channel_layer.group_discard(broadcast.session_group(session_id), self.channel_name)
        summary: SessionSummary | None = await database_sync_to_async(actions.disconnect)(session_id, self.epoch)
        if summary is None or summary["state"] != ExamSession.State.PAUSED:
            return  # a newer socket owns the session (it stays as that socket left it), or it has ended
        # Nothing ends now: after the grace period the gap becomes a camera_lost episode, and when the exam's
        # time is up the session ends (whichever comes first; a page or socket opened later checks again).
        time_up_at = await database_sync_to_async(_time_up_at)(session_id)
        loop = asyncio.get_running_loop()
        for delay in (settings.PROCTOR_RESUME_GRACE_SECONDS, time_up_at.timestamp() - time.time()):
            loop.call_later(
                max(0.0, delay) + 0.5, lambda: spawn(database_sync_to_async(actions.check_paused)(session_id))
            )

    # --- messages from the browser (schemas in proctor.media.protocol) --------------------------

    async def handle_message(self, message_type: str, fields: dict[str, Any]) -> Reply | None:
        if self.session_id is None:
            raise ProtocolError("no_session", "the session is not open on this socket")
        return await super().handle_message(message_type, fields)

    async def on_ping(self) -> Pong:
        return PONG

    async def on_offer(self, sdp: str) -> None:
        """Forward the offer to the worker; an error frame follows if no answer comes in time.

        Before the worker spends anything on it, cheapest first: the rate limit (one budget in every process), the
        media sections, exactly the exam's (:mod:`proctor.media.sdp`, a pure check of the text), then the biometric
        consent (no frame of the camera reaches the server without it), so only an offer that would otherwise
        reach the worker costs a database query.
        """
        await OFFER_RATE.take_shared(self.session_id)
        if (problem := offer_problem(sdp, microphone=self.microphone, screen=self.screen)) is not None:
            raise ProtocolError("bad_sdp", problem)
        if not await database_sync_to_async(_has_consent)(self.session_id):
            raise ProtocolError("consent_required", "biometric consent must be given before the camera is sent")
        self.offers += 1
        await self._to_worker("offer", sdp=sdp, request=self.offers)
        if self.offer_timer is not None:
            self.offer_timer.cancel()
        request = self.offers
        self.offer_timer = asyncio.get_running_loop().call_later(
            settings.RTC_MEDIA_OFFER_TIMEOUT_SECONDS, lambda: spawn(self._offer_timed_out(request))
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

    async def on_identity_check(self) -> protocol.IdentityChecking:
        # The message rate; how many checks a session gets is the policy's.
        await IDENTITY_CHECK_RATE.take_shared(self.session_id)
        _exam, _fps, has_reference, _microphone, _screen = await database_sync_to_async(_exam_facts)(self.session_id)
        if not has_reference:
            raise ProtocolError("no_reference", "give consent and upload or take a reference photo first")
        if not await database_sync_to_async(actions.identity_attempt)(self.session_id):
            raise ProtocolError("identity_attempts_exhausted", "no identity checks left: a proctor can admit you")
        await self._to_worker("identity")
        self.identity_checking = True
        return {"type": "identity.checking"}

    async def on_reference_capture(self) -> protocol.ReferenceCapturing:
        """Take the reference photo from the camera stream on the server (a student without one only)."""
        state = await database_sync_to_async(_reference_state)(self.session_id)
        if state == "no_consent":
            raise ProtocolError("consent_required", "biometric consent must be given first")
        if state == "exists":
            raise ProtocolError("reference_exists", "a reference photo is on file: only the school can replace it")
        await self._to_worker("reference_capture", student=self.scope["user"].pk)
        return {"type": "reference.capturing"}

    async def on_materials(self) -> protocol.Materials:
        """The exam's tasks, only for a running session with a confirmed identity (the first ask starts the
        exam's timer)."""
        try:
            tasks: ExamTasks = await database_sync_to_async(actions.release_tasks)(self.session_id)
        except live_sessions.NotRunning:
            raise ProtocolError("not_running", "the tasks are released once the attempt runs") from None
        await self._watch_deadline(await database_sync_to_async(_summary)(self.session_id))
        return {"type": "materials", **tasks}

    async def on_browser_event(self, event: str) -> protocol.EventRecorded:
        await BROWSER_EVENT_RATE.take_shared(self.session_id)
        kind, active = BROWSER_EVENTS[event]
        await self._to_worker("browser_event", kind=kind, active=active)
        return {"type": "event.recorded", "event": event}

    async def on_submit(self) -> None:
        await self._end(ExamSession.EndReason.SUBMITTED)

    async def _end(self, reason: str, actor: User | None = None) -> None:
        if self.session_id is None:
            return
        # This socket closes itself: the session's "ended" control is for any other socket of the session.
        await self.channel_layer.group_discard(broadcast.session_group(self.session_id), self.channel_name)
        await database_sync_to_async(actions.end_session)(self.session_id, reason, actor)
        self.ended = True
        await self.send_json(ended_frame(reason))
        await self.close(code=CloseCode.SESSION_OVER)

    async def _state_changed(self, summary: SessionSummary) -> None:
        await self._to_worker("monitor", on=summary["state"] == ExamSession.State.RUNNING)
        await self._watch_deadline(summary)
        state: protocol.SessionState = {"type": "session.state", **summary}
        await self.send_json(state)

    # --- replies from the media worker (channel layer) --------------------------------------

    @while_attached
    async def media_answer(self, message: dict) -> None:
        if self._answers_pending_offer(message):
            answer: protocol.Answer = {"type": "answer", "sdp": message["sdp"]}
            await self.send_json(answer)

    @while_attached
    async def media_rejected(self, message: dict) -> None:
        if self._answers_pending_offer(message):
            await self.send_error("bad_sdp", message["detail"])

    @while_attached
    async def media_ok(self, message: dict) -> None:
        """The worker decoded the first frame: the camera stream works."""
        summary: SessionSummary = await database_sync_to_async(actions.media_ready)(self.session_id)
        ok: protocol.MediaOk = {"type": "media.ok", **summary}
        await self.send_json(ok)
        await self._state_changed(summary)

    @while_attached
    async def media_lost(self, message: dict) -> None:
        if message["state"] == "worker_stopped":  # the worker stops by itself: no need to wait for the watch
            if message["worker"] == self.media_worker_id:
                await self._worker_lost(message["worker"])
            return
        lost: protocol.MediaLost = {"type": "media.lost", "state": message["state"]}
        with contextlib.suppress(Exception):
            await self.send_json(lost)

    @while_attached
    async def media_identity(self, message: dict) -> None:
        """The verdict of an identity check; the score stays on the server (proctors see it), the page learns
        passed or not."""
        passed, score = message["passed"], message["score"]
        self.identity_checking = False
        summary: SessionSummary = await database_sync_to_async(actions.identity_result)(self.session_id, passed, score)
        result: protocol.IdentityResult = {"type": "identity.result", **summary, "passed": passed}
        await self.send_json(result)
        await self._state_changed(summary)

    @while_attached
    async def media_reference(self, message: dict) -> None:
        """The worker's answer to ``reference.capture``: stored, refused by the gate (reasons), or an error."""
        outcome = message["outcome"]
        if outcome in ("stored", "refused"):
            if outcome == "stored":
                await database_sync_to_async(actions.reference_taken)(self.session_id)
            reasons: list[protocol.GateReason] = [
                {"code": code, "message": Issue(code).message()} for code in message["reasons"]
            ]
            result: protocol.ReferenceResult = {
                "type": "reference.result",
                "ok": outcome == "stored",
                "reasons": reasons,
            }
            await self.send_json(result)
        else:
            await self.send_error(outcome, message["detail"])

    # --- control from proctors and newer tabs (channel layer, proctor.live.broadcast.to_session) ----

    @while_attached
    async def session_grade(self, message: broadcast.SessionGrade) -> None:
        name = message["grade"]
        await self._to_worker("watch", on=name == "live")
        frame: protocol.GradeFrame = {
            "type": "grade",
            "name": name,
            "grade": grade(name, self.analysis_fps).as_parameters(),
        }
        await self.send_json(frame)

    @while_attached
    async def session_warning(self, message: broadcast.SessionWarning) -> None:
        warning: protocol.WarningFrame = {"type": "warning", "text": message["text"]}
        await self.send_json(warning)

    @while_attached
    async def session_admitted(self, message: broadcast.SessionAdmitted) -> None:
        await self._state_changed(await database_sync_to_async(_summary)(self.session_id))

    @while_attached
    async def session_view_offer(self, message: broadcast.SessionViewOffer) -> None:
        await self._to_worker("view_offer", viewer=message["reply_to"], sdp=message["sdp"], source=message["source"])

    @while_attached
    async def session_view_close(self, message: broadcast.SessionViewClose) -> None:
        await self._to_worker("view_close", viewer=message["reply_to"])

    @while_attached
    async def session_replaced(self, message: broadcast.SessionReplaced) -> None:
        if message["epoch"] > self.epoch:
            self.replaced = True
            replaced: protocol.SessionReplaced = {"type": "session.replaced"}
            await self.send_json(replaced)
            await self.close(code=CloseCode.REPLACED)

    @while_attached
    async def session_ended(self, message: broadcast.SessionEnded) -> None:
        self.ended = True
        await self.send_json(ended_frame(message["reason"]))
        await self.close(code=CloseCode.SESSION_OVER)


def ended_frame(reason: str) -> protocol.SessionEnded:
    return {"type": "session.ended", "reason": reason}


def _has_consent(session_id: int) -> bool:
    return enrollment.has_consent(ExamSession.objects.select_related("student").get(pk=session_id).student)


def _reference_state(session_id: int) -> str:
    """``no_consent``, ``exists`` (any reference on file) or ``missing`` (the student may take one)."""
    student = ExamSession.objects.select_related("student").get(pk=session_id).student
    if not enrollment.has_consent(student):
        return "no_consent"
    return "exists" if enrollment.current_reference(student) is not None else "missing"


def _time_up_at(session_id: int) -> datetime:
    return ExamSession.objects.select_related("exam").get(pk=session_id).time_up_at


def _summary(session_id: int) -> SessionSummary:
    return live_sessions.session_summary(ExamSession.objects.select_related("student").get(pk=session_id))
