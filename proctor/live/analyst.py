"""Analysis in a separate process: each live stream's vision state and models live in an analyst process.

The media process (aiortc peers, the signalling sockets, the episode writes) runs one Python event loop
that must answer packets within milliseconds. Analysis threads in the same process share its GIL, and at
60 students on one core the loop fell seconds behind (late STUN consent answers dropped connections).
An analyst process has its own GIL: the media process only hands over a frame's YUV planes (a copy of
115 KB at 320x240) and waits, without the GIL, for the result.

:class:`Analyst` is the media process's handle on one analyst process; requests are handled in order.
:meth:`Analyst.call` waits for its answer (worker threads, the ticker), :meth:`Analyst.post` does not
(the event loop's changes of a stream's state must never wait for an analysis to finish). :func:`serve`
is the process's loop; its per-stream state is :class:`StreamAnalysis`, plain Python without Django
(the evidence directory comes in the request).
"""

from __future__ import annotations

import base64
import logging
import math
import multiprocessing
import secrets
import statistics
import threading
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..audio.listener import SpeechListener, hear_together
from ..episodes import EpisodeEngine, EpisodeEvent
from ..kinds import Kind
from ..policy import Policy
from ..vision import identity, vetting
from ..vision.analyzer import SessionAnalyzer
from ..vision.detection import detect_faces
from ..vision.frames import encode_jpeg

log = logging.getLogger(__name__)

IDENTITY_FRAMES = 3  # the median of the last 3 single-face comparisons must pass
IDENTITY_FAIL_FRAMES = 6  # ... and fails once 6 comparisons have not passed
IDENTITY_MAX_FRAMES = 15  # give up (failed) after this many analysed frames, faces or not
THUMBNAIL_INTERVAL = 3.0
WATCHED_THUMBNAIL_INTERVAL = 0.5


class AnalystGone(RuntimeError):
    """The analyst process has died (its pipe is closed): its streams' state is lost."""


@dataclass
class Evidence:
    token: str
    relative_path: str  # under MEDIA_ROOT


@dataclass
class StreamResult:
    identity: tuple[bool, float | None] | None = None
    events: list[tuple[EpisodeEvent, Evidence | None]] = field(default_factory=list)
    thumbnail: str | None = None  # data: URL

    @property
    def empty(self) -> bool:
        return self.identity is None and not self.events and self.thumbnail is None


@dataclass
class StreamAnalysis:
    """One stream's state in the analyst: the identity check before the exam, the engine while it runs."""

    policy: Policy
    reference: np.ndarray | None
    media_root: Path
    evidence_dir: str  # relative to media_root
    analyzer: SessionAnalyzer | None = None
    checking_identity: bool = False
    identity_scores: list[float] = field(default_factory=list)
    identity_frames: int = 0
    watched: bool = False
    last_thumbnail: float = 0.0
    latest: float = -math.inf  # the engine time of the newest frame, tick or signal handed to the engine
    # The microphone while the exam runs (policy permitting): its own engine, whose clock is the audio's, which
    # runs a batch behind the frames' (proctor.live.hearing); its episodes are delivered like the others.
    listener: SpeechListener | None = None

    def _engine_time(self, now: float) -> float:
        """``now``, or the newest time the engine has seen if ``now`` is older.

        Requests carry the time they were made at, and they wait in this process's queue: under load a tick
        or browser signal made before a frame's hand-over can arrive after it. The engine refuses time going
        backwards (:class:`~proctor.episodes.TimestampError`), so such a request counts as made just now.
        """
        self.latest = max(self.latest, now)
        return self.latest

    def check_identity(self, reference: np.ndarray) -> None:
        self.reference, self.identity_scores, self.identity_frames = reference, [], 0
        self.checking_identity = True

    def monitor(self, on: bool, now: float, lost_since: float | None = None) -> None:
        """``lost_since``: the engine time since which the camera is lost, its episode already recorded."""
        self.checking_identity = False
        if on and self.analyzer is None:
            lost = lost_since is not None
            start = min(now, lost_since) if lost_since is not None else now
            self.analyzer = SessionAnalyzer(self.reference, self.policy, start=start, camera_lost=lost)
            if self.policy.enabled(Kind.SPEECH):
                self.listener = SpeechListener(EpisodeEngine(self.policy).hear, self.policy.speech_window_s)
        elif not on:
            self.analyzer = self.listener = None

    def analyse(self, bgr: np.ndarray, now: float) -> StreamResult:
        result = StreamResult()
        if self.checking_identity and self.reference is not None:
            result.identity = self._identity_step(bgr)
        if self.analyzer is not None:
            result.events = self._with_evidence(self.analyzer.analyze(bgr, self._engine_time(now)))
        interval = WATCHED_THUMBNAIL_INTERVAL if self.watched else THUMBNAIL_INTERVAL
        if now - self.last_thumbnail >= interval:
            self.last_thumbnail = now
            result.thumbnail = thumbnail(bgr, large=self.watched)
        return result

    def tick(self, now: float, stalled: bool) -> list[tuple[EpisodeEvent, Evidence | None]]:
        """Frames still arriving (even if not analysed) are ``skip``; none for a while is ``tick`` (camera_lost)."""
        if self.analyzer is None or now < self.latest:
            return []  # a frame or signal newer than this tick got here first: the stream was not stalled
        now = self._engine_time(now)
        return self._with_evidence(self.analyzer.tick(now) if stalled else self.analyzer.skip(now))

    def signal(self, kind: str, active: bool | None, now: float) -> list[tuple[EpisodeEvent, Evidence | None]]:
        """A browser signal: ``active`` None is a single event (copy/paste), otherwise an on/off state."""
        if self.analyzer is None:
            return []
        now = self._engine_time(now)
        events = self.analyzer.mark(kind, now) if active is None else self.analyzer.set_state(kind, now, active)
        return self._with_evidence(events)

    def _identity_step(self, bgr: np.ndarray) -> tuple[bool, float | None] | None:
        assert self.reference is not None  # checked by the caller
        self.identity_frames += 1
        checked = [vetting.vet(bgr, face) for face in detect_faces(bgr)]
        people = [c.embedding for c in checked if c.human and c.embedding is not None]  # a pet is not a face
        if len(people) == 1:
            self.identity_scores.append(identity.similarity(people[0], self.reference))
        recent = self.identity_scores[-IDENTITY_FRAMES:]
        decided = len(recent) == IDENTITY_FRAMES and statistics.median(recent) >= self.policy.identity_threshold
        exhausted = len(self.identity_scores) >= IDENTITY_FAIL_FRAMES or self.identity_frames >= IDENTITY_MAX_FRAMES
        if not decided and not exhausted:
            return None
        self.checking_identity = False
        return decided, (round(statistics.median(recent), 3) if recent else None)

    def _with_evidence(self, events: list[EpisodeEvent]) -> list[tuple[EpisodeEvent, Evidence | None]]:
        """Each event without its frame (it stays here), with the evidence JPEG saved for an opened episode."""
        return [(replace(event, evidence=None), self._save_evidence(event)) for event in events]

    def _save_evidence(self, event: EpisodeEvent) -> Evidence | None:
        """The snapshot as JPEG, or a speech clip (WAV bytes from proctor.audio) as it is."""
        if event.action != "opened" or event.evidence is None:
            return None
        token = secrets.token_urlsafe(16)
        clip = isinstance(event.evidence, bytes)
        relative = f"{self.evidence_dir}/{token}.{'wav' if clip else 'jpg'}"
        path = self.media_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(event.evidence if clip else encode_jpeg(event.evidence, quality=80))
        return Evidence(token, relative)


def thumbnail(bgr: np.ndarray, large: bool = False) -> str:
    width = 320 if large else 160
    height = round(bgr.shape[0] * width / bgr.shape[1])
    small = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    return "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(small, quality=70)).decode()


def listen(
    heard: list[tuple[int, StreamAnalysis, list[tuple[float, np.ndarray]]]],
) -> dict[int, list[tuple[EpisodeEvent, Evidence | None]]]:
    """Microphone audio of several streams (16-kHz mono chunks with the time of their first sample) while their
    exams run: each stream's events with their evidence. Their voice detectors run together (batched Silero calls)."""
    listening = [(sid, stream, stream.listener, chunks) for sid, stream, chunks in heard if stream.listener is not None]
    events = hear_together([(listener, chunks) for _, _, listener, chunks in listening])
    results: dict[int, list[tuple[EpisodeEvent, Evidence | None]]] = {sid: [] for sid, _, _ in heard}
    for (sid, stream, _, _), stream_events in zip(listening, events, strict=True):
        results[sid] = stream._with_evidence(stream_events)
    return results


def to_bgr(planes: np.ndarray) -> np.ndarray:
    """A frame from its I420 planes as PyAV's ``to_ndarray(format="yuv420p")`` gives them."""
    return cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420)


def serve(connection: Connection) -> None:
    """The analyst process: handle requests in order until the media process closes the pipe."""
    cv2.setNumThreads(1)  # one stream at a time per process: OpenCV's threads would only add synchronisation
    streams: dict[int, StreamAnalysis] = {}
    while True:
        try:
            wants_reply, request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _handle(streams, *request)
        except Exception as error:  # one stream's failure must not stop the others
            log.exception("analyst request %s failed", request[0])
            reply = RuntimeError(f"analyst: {type(error).__name__}: {error}")
        if wants_reply:
            connection.send(reply)


def _handle(streams: dict[int, StreamAnalysis], action: str, stream_id: int | None, *args: Any) -> Any:
    if action == "tick":
        (items,) = args
        return {sid: streams[sid].tick(now, stalled) for sid, now, stalled in items if sid in streams}
    if action == "listen":
        (heard,) = args
        return listen([(sid, streams[sid], chunks) for sid, chunks in heard if sid in streams])
    assert stream_id is not None  # every other request names its stream
    if action == "register":
        streams[stream_id] = StreamAnalysis(*args)
        return None
    stream = streams.get(stream_id)
    if action == "unregister":
        streams.pop(stream_id, None)
        return None
    if stream is None:
        return None if action != "analyse" else StreamResult()
    if action == "analyse":
        planes, now = args
        return stream.analyse(to_bgr(planes), now)
    if action == "check_identity":
        return stream.check_identity(*args)
    if action == "monitor":
        return stream.monitor(*args)
    if action == "watch":
        stream.watched = args[0]
        return None
    if action == "signal":
        return stream.signal(*args)
    raise ValueError(f"unknown analyst request {action!r}")


class Analyst:
    """The media process's end of one analyst process (started at once, stopped by :meth:`stop`)."""

    def __init__(self, name: str) -> None:
        context = multiprocessing.get_context("spawn")  # the media process has threads: never fork it
        self._connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), name=name, daemon=True)
        self.process.start()
        child.close()
        self._sending = threading.Lock()
        self._calling = threading.Lock()  # one call waits for its answer at a time: answers come in call order

    def call(self, action: str, stream_id: int | None, *args: Any) -> Any:
        """A request and its answer (blocks the calling thread; the GIL is free while it waits)."""
        with self._calling:
            with self._sending:
                self._send((True, (action, stream_id, *args)))
            try:
                reply = self._connection.recv()
            except (EOFError, OSError) as error:
                raise AnalystGone(self.process.name) from error
        if isinstance(reply, Exception):
            raise reply
        return reply

    def post(self, action: str, stream_id: int, *args: Any) -> None:
        """A request without an answer, handled in order with the others."""
        with self._sending:
            self._send((False, (action, stream_id, *args)))

    def _send(self, message: tuple) -> None:
        try:
            self._connection.send(message)
        except OSError as error:  # BrokenPipeError, or the pipe already closed
            raise AnalystGone(self.process.name) from error

    def stop(self) -> None:
        with self._calling, self._sending:
            self._connection.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
