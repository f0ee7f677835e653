"""The media worker: the aiortc peers and the live analysis of the exam sessions assigned to it.

A worker listens on its named channels (:mod:`proctor.media.link`) and talks to the rest only through the
channel layer: exam sockets send it the browser's offer and session control, it answers them
(``media.answer`` / ``media.rejected`` / ``media.ok`` / ``media.lost`` / ``media.identity`` /
``media.reference``: a reference photo taken from the stream's newest frame), answers
proctors' live-view offers on their dashboard channel, and persists and announces episodes and thumbnails
to the dashboard group itself, so nothing decided is lost while the student's socket reconnects.

Every worker announces itself in the registry and beats (:mod:`proctor.media.registry`); sessions are placed
on it by :func:`proctor.actions.place_media`. Embedded layout (no Redis): one worker runs inside daphne
(:func:`start_embedded`), its peers closed at shutdown by the reactor hook in :mod:`rtc.peer`. Scaled layout:
``manage.py media_worker [--name NAME]`` processes, one per core (:func:`run_process`), each of which closes
every peer, marks itself stopped and exits on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from aiortc.jitterbuffer import JitterFrame
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.translation import gettext_noop
from redis.exceptions import TimeoutError as RedisTimeoutError

from rtc.peer import StudentPeer, ViewerPeer, close_all_peers
from rtc.recording import PieceRecorder
from server.aio import PerLoop, spawn
from server.ws import ProtocolError

from .. import actions, enrollment, recording, reference_gate
from ..episodes import EpisodeEvent
from ..kinds import Kind
from ..live import thumbnails
from ..live.analyst import Evidence, StreamResult
from ..live.pipeline import pipeline, wall_clock
from ..models import ExamSession
from ..models.exams import evidence_token
from ..policy import Policy
from ..quality import Verdict
from . import registry
from .link import worker_channel

log = logging.getLogger(__name__)

Message = dict[str, Any]
RECEIVE_RETRY_SECONDS = 1.0
PENDING_PER_SESSION = 64  # messages of one session waiting for the worker (see MediaWorker.queue)
ALWAYS_QUEUED = frozenset({"media.attach", "media.detach"})  # dropping these would leave a peer without an owner
NOT_CONNECTED = {  # a live view's error by its source, translated by the proctor's dashboard socket
    "camera": gettext_noop("камера ученика ещё не подключена"),
    "screen": gettext_noop("ученик не показывает экран"),
}


def _load(session_id: int) -> tuple[int, bool, Any, Policy, float | None]:
    """The session's exam, whether it runs, the reference embedding (never logged), the exam's policy, and
    since when its camera is lost if a ``camera_lost`` episode is open (epoch seconds): the session comes from a
    worker that died, and the gap, recorded when it moved, is continued rather than opened again."""
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    running = session.state == ExamSession.State.RUNNING
    lost = session.episodes.filter(kind=Kind.CAMERA_LOST, ended_at__isnull=True).order_by("-id").first()
    lost_since = lost.started_at.timestamp() if running and lost is not None else None
    reference, policy = enrollment.reference_embedding(session.student), session.exam.vision_policy()
    return session.exam_id, running, reference, policy, lost_since


def _reference(session_id: int) -> Any:
    return enrollment.reference_embedding(ExamSession.objects.select_related("student").get(pk=session_id).student)


def _store_capture(session_id: int, verdict: Verdict) -> bool:
    """Store a captured reference that passed the gate; whether one was stored."""
    student = ExamSession.objects.select_related("student").get(pk=session_id).student
    return enrollment.store_capture(student, verdict).photo is not None


def _reference_error(code: str, detail: str) -> Message:
    return {"type": "media.reference", "outcome": code, "detail": detail}


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


async def record_events(session_id: int, events: list[tuple[EpisodeEvent, Evidence | None]]) -> None:
    """Persist the engine's decisions (the actions announce them to the proctors)."""
    for event, evidence in events:
        episode = event.episode
        if event.action == "opened":
            await database_sync_to_async(actions.open_episode)(
                session_id,
                episode.kind,
                _when(wall_clock(episode.start)),
                episode.peak,
                evidence.token if evidence else evidence_token(),
                evidence.relative_path if evidence else "",
                wall_clock(event.at),
            )
        else:
            assert episode.end is not None, "a closed episode has its end"
            await database_sync_to_async(actions.close_episode)(
                session_id, episode.kind, _when(wall_clock(episode.end)), episode.peak, wall_clock(event.at)
            )


class MediaSession:
    """One exam session on this worker: the student's peer, proctors' viewer peers, the analysis stream."""

    def __init__(self, session_id: int, exam_id: int, reply_to: str) -> None:
        self.session_id = session_id
        self.exam_id = exam_id
        self.reply_to = reply_to  # the exam socket that owns the session
        self.peer: StudentPeer | None = None
        self.viewers: dict[str, ViewerPeer] = {}  # proctor dashboard channel -> peer sending the camera live
        self.media_reported = False
        self.latest_frame: Any = None  # the newest decoded camera frame (one, replaced): a reference photo source
        self.piece: tuple[int, PieceRecorder] | None = None  # the peer's piece of the recording (proctor.recording)

    async def reply(self, message: Message) -> None:
        try:
            await get_channel_layer().send(self.reply_to, message)
        except Exception:
            log.exception("could not reach the exam socket of session %s", self.session_id)

    async def answer(self, sdp: str, request: int) -> None:
        await self.close_peer()
        self.media_reported = False
        if settings.PROCTOR_RECORDING:
            self.piece = await database_sync_to_async(recording.start_piece)(self.session_id)
        peer = self.peer = StudentPeer(
            on_frame=self._frame,
            on_state=self._peer_state,
            on_audio=self._audio,
            recorder=self.piece[1] if self.piece is not None else None,
        )
        try:
            answer = await peer.answer(sdp)
        except Exception as error:  # aiortc raises ValueError/others on malformed SDP
            if self.peer is peer:
                self.peer = None
            await peer.close()
            await self.reply(
                {"type": "media.rejected", "request": request, "detail": f"the offer was rejected: {error}"}
            )
            return
        await self.reply({"type": "media.answer", "request": request, "sdp": answer})

    def _frame(self, frame: Any) -> None:
        self.latest_frame = frame
        pipeline().offer(self.session_id, frame)
        if not self.media_reported:
            self.media_reported = True
            spawn(self.reply({"type": "media.ok"}))

    def _audio(self, frame: JitterFrame) -> None:
        pipeline().offer_audio(self.session_id, frame)

    def _peer_state(self, state: str) -> None:
        if state in ("failed", "closed", "track_ended"):
            spawn(self.reply({"type": "media.lost", "state": state}))

    async def deliver(self, result: StreamResult) -> None:
        """Results of analysis (posted from the pipeline's threads to this loop)."""
        try:
            if result.identity is not None:
                passed, score = result.identity
                await self.reply({"type": "media.identity", "passed": passed, "score": score})
            await record_events(self.session_id, result.events)
            if result.thumbnail:
                thumbnails.board().put(self.exam_id, self.session_id, result.thumbnail)
        except Exception:
            log.exception("media worker: delivering results of session %s failed", self.session_id)

    async def start_viewer(self, viewer: str, sdp: str, source: str) -> None:
        """A proctor opened this student live: answer their browser's offer with the camera or the screen."""
        track = self.peer.live_track(source) if self.peer is not None else None
        if track is None:
            await self._view_reply(viewer, type="view.error", detail=NOT_CONNECTED[source])
            return
        await self.close_viewer(viewer)
        peer = self.viewers[viewer] = ViewerPeer(track)
        try:
            answer = await peer.answer(sdp)
        except Exception as error:
            await self.close_viewer(viewer)
            await self._view_reply(viewer, type="view.error", detail=f"the offer was rejected: {error}")
        else:
            await self._view_reply(viewer, type="view.answer", sdp=answer)

    async def _view_reply(self, viewer: str, **fields: Any) -> None:
        event = {"type": "dashboard.view", "event": {"session": self.session_id, **fields}}
        with contextlib.suppress(Exception):  # the proctor's socket may be gone already
            await get_channel_layer().send(viewer, event)

    async def close_viewer(self, viewer: str) -> None:
        if (peer := self.viewers.pop(viewer, None)) is not None:
            await peer.close()

    async def close_peer(self) -> None:
        self.latest_frame = None
        if self.peer is not None:
            peer, self.peer = self.peer, None
            await peer.close()  # closes the recorder too
        if self.piece is not None:
            (piece_id, writer), self.piece = self.piece, None
            try:
                await database_sync_to_async(recording.piece_closed)(piece_id, writer.size)
            except Exception:  # the file is complete; only its size in the row is missing
                log.exception("media worker: could not note the end of piece %s", piece_id)

    async def close(self) -> None:
        pipeline().unregister(self.session_id, self.deliver)
        await asyncio.gather(*(self.close_viewer(viewer) for viewer in list(self.viewers)), self.close_peer())


class MediaWorker:
    """Serves the sessions sent to its channel; messages of one session are handled in order."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id
        self.channel = worker_channel(worker_id)
        self.sessions: dict[int, MediaSession] = {}
        self._pending: dict[int, deque[Message]] = {}

    async def serve(self) -> None:
        """Listen on the worker's channel and beat in the registry (until cancelled)."""
        log.info("media worker %s listening on %s", self.worker_id, self.channel)
        await asyncio.gather(self._listen(self.channel), registry.keep_beating(self.worker_id, self._students))

    def _students(self) -> int:
        return len(self.sessions)

    async def _listen(self, channel: str) -> None:
        layer = get_channel_layer()
        while True:
            try:
                message = await layer.receive(channel)
            except Exception as error:  # messages wait in Redis (channels-redis keeps a backup of one in flight)
                if (task := asyncio.current_task()) is not None and task.cancelling():  # None only outside a task
                    raise asyncio.CancelledError from None  # redis-py reports a cancelled read as a timeout
                if not isinstance(error, RedisTimeoutError):  # an idle blocking pop can time out in redis-py
                    log.warning("media worker: receiving on %s failed (%r); retrying", channel, error)
                    await asyncio.sleep(RECEIVE_RETRY_SECONDS)
                continue
            session_id = message.get("session")
            if type(session_id) is not int or not isinstance(message.get("reply_to"), str):
                log.warning("media worker: dropped a message without session/reply_to (%s)", message.get("type"))
                continue
            await self.queue(session_id, message)

    async def queue(self, session_id: int, message: Message) -> None:
        """Queue the message after the session's earlier ones, within ``PENDING_PER_SESSION``.

        The bound is per session, so one session's flood cannot grow the worker's memory or delay the others.
        A new offer replaces the session's offers still waiting (the socket only takes the answer to its newest).
        When the queue is full the message is refused: an offer is answered ``media.rejected`` (the student's
        page sees ``bad_sdp`` and may offer again), other control messages are dropped and logged; ``attach``
        and ``detach`` are always queued. The exam socket's rate limits keep a real page far below the bound.
        """
        if (pending := self._pending.get(session_id)) is None:
            pending = self._pending[session_id] = deque()
            spawn(self._drain(session_id, pending))
        if message["type"] == "media.offer":
            for waiting in [m for m in pending if m["type"] == "media.offer"]:
                pending.remove(waiting)
        if len(pending) >= PENDING_PER_SESSION and message["type"] not in ALWAYS_QUEUED:
            log.warning(
                "media worker: session %s has %s messages waiting: %s refused",
                session_id,
                len(pending),
                message["type"],
            )
            if message["type"] == "media.offer":
                detail = f"the media server is still handling {len(pending)} earlier messages of this session"
                rejected = {"type": "media.rejected", "request": message.get("request"), "detail": detail}
                with contextlib.suppress(Exception):
                    await get_channel_layer().send(message["reply_to"], rejected)
            return
        pending.append(message)

    async def _drain(self, session_id: int, pending: deque[Message]) -> None:
        while pending:
            message = pending.popleft()
            try:
                await self._dispatch(session_id, message)
            except Exception:
                log.exception("media worker: %s for session %s failed", message.get("type"), session_id)
        del self._pending[session_id]

    async def _dispatch(self, session_id: int, message: Message) -> None:
        kind, reply_to = message["type"], message["reply_to"]
        session = self.sessions.get(session_id)
        if kind == "media.attach" or (session is None and kind == "media.offer"):
            session = await self._attach(session_id, reply_to)  # an offer re-attaches after a worker restart
        if session is None or session.reply_to != reply_to:
            return  # not attached here, or from a socket that a newer one has replaced
        # Channels' rule: media.x is handled by media_x (media.attach is done above).
        if kind != "media.attach" and (handler := getattr(self, get_handler_name(message), None)) is not None:
            await handler(session, message)

    async def _attach(self, session_id: int, reply_to: str) -> MediaSession:
        """A socket took the session over: start afresh for it (an older socket's peers are closed)."""
        if (old := self.sessions.pop(session_id, None)) is not None:
            await old.close()
        exam_id, running, reference, policy, lost_since = await database_sync_to_async(_load)(session_id)
        session = self.sessions[session_id] = MediaSession(session_id, exam_id, reply_to)
        pipeline().register(session_id, session.deliver, policy, reference)
        pipeline().monitor(session_id, running, lost_since)
        log.info("media worker %s: session %s attached", self.worker_id, session_id)
        return session

    async def media_detach(self, session: MediaSession, message: Message) -> None:
        del self.sessions[session.session_id]
        await session.close()
        log.info("media worker: session %s detached", session.session_id)

    async def media_offer(self, session: MediaSession, message: Message) -> None:
        await session.answer(message["sdp"], message["request"])

    async def media_identity(self, session: MediaSession, message: Message) -> None:
        reference = await database_sync_to_async(_reference)(session.session_id)
        if reference is not None:
            pipeline().check_identity(session.session_id, reference)

    async def media_reference_capture(self, session: MediaSession, message: Message) -> None:
        """The student's reference photo from the current frame of their stream, through the quality gate."""
        frame = session.latest_frame
        if frame is None:
            await session.reply(_reference_error("no_stream", "the camera stream has not reached the server yet"))
            return
        try:
            verdict = await reference_gate.assess_frame(message["student"], frame.to_ndarray(format="bgr24"))
        except ProtocolError as error:
            await session.reply(_reference_error(error.code, error.detail))
            return
        try:
            stored = await database_sync_to_async(_store_capture)(session.session_id, verdict)
        except (enrollment.ConsentRequired, enrollment.ReferenceExists) as error:
            code = "consent_required" if isinstance(error, enrollment.ConsentRequired) else "reference_exists"
            await session.reply(_reference_error(code, "the reference photo was not stored"))
            return
        outcome = "stored" if stored else "refused"
        await session.reply(
            {"type": "media.reference", "outcome": outcome, "reasons": [i.code for i in verdict.issues]}
        )

    async def media_monitor(self, session: MediaSession, message: Message) -> None:
        pipeline().monitor(session.session_id, bool(message["on"]))

    async def media_watch(self, session: MediaSession, message: Message) -> None:
        pipeline().watch(session.session_id, bool(message["on"]))

    async def media_browser_event(self, session: MediaSession, message: Message) -> None:
        events = await asyncio.to_thread(
            pipeline().browser_signal, session.session_id, message["kind"], message["active"]
        )
        await record_events(session.session_id, events)

    async def media_view_offer(self, session: MediaSession, message: Message) -> None:
        await session.start_viewer(message["viewer"], message["sdp"], message["source"])

    async def media_view_close(self, session: MediaSession, message: Message) -> None:
        await session.close_viewer(message["viewer"])

    async def close(self) -> None:
        """Close every session (shutdown) and mark the worker stopped; the sockets hear ``media.lost``
        (``worker_stopped``, naming this worker), move their sessions to a live worker and their pages offer
        again."""
        sessions, self.sessions = list(self.sessions.values()), {}
        await asyncio.gather(*(session.close() for session in sessions), return_exceptions=True)
        try:
            await database_sync_to_async(registry.retire)(self.worker_id)
        except Exception:
            log.exception("media worker %s could not mark itself stopped", self.worker_id)
        stopped = {"type": "media.lost", "state": "worker_stopped", "worker": self.worker_id}
        await asyncio.gather(*(s.reply(stopped) for s in sessions))


async def _start_embedded() -> MediaWorker:
    worker = MediaWorker(await database_sync_to_async(registry.announce)(f"embedded-{socket.gethostname()}"))
    spawn(_serve_embedded(worker))
    return worker


async def _serve_embedded(worker: MediaWorker) -> None:
    try:
        await worker.serve()
    except Exception:
        log.exception("the embedded media worker stopped")


_embedded: PerLoop[MediaWorker] = PerLoop(_start_embedded)


async def start_embedded() -> None:
    """Embedded layout: run a worker inside this (daphne) process, announced before the first session is placed."""
    if settings.RTC_MEDIA_EMBEDDED:
        await _embedded.get()


async def run_process(name: str) -> None:
    """A separate media-worker process: announce it, serve its channel until SIGTERM/SIGINT, then close every peer.

    Not under twisted, so the signals are handled here: daphne's reactor hook (:mod:`rtc.peer`) does not apply.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    worker = MediaWorker(await database_sync_to_async(registry.announce)(name))
    serving = asyncio.ensure_future(worker.serve())
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    started = time.monotonic()
    serving.cancel()
    stopping.cancel()
    await worker.close()
    await close_all_peers()  # any peer still half-made when the signal came
    pipeline().stop()
    log.info("media worker %s (%s) stopped in %.1f s", worker.worker_id, name, time.monotonic() - started)
    if serving in done:
        serving.result()  # the listener failed: exit non-zero
