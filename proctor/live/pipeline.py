"""The per-process live pipeline: decoded frames in, identity results / episodes / thumbnails out.

Frames are handed over on the event loop (cheap: a reference to the decoded frame);
conversion and analysis run on the scheduler's worker threads; results are posted back
to the owning event loop as :class:`StreamResult` values.

Two phases per stream: the identity check before the exam opens (each analysed frame with
one face is compared with the reference photo) and monitoring while the exam runs (the
vision engine's :class:`~proctor.vision.analyzer.SessionAnalyzer` decides the episodes).
Engine time is ``time.monotonic()``; ``Clock`` turns it into wall-clock time for storage.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.conf import settings

from rtc.scheduler import AnalysisScheduler

from ..episodes import EpisodeEvent
from ..policy import Policy
from ..vision import identity
from ..vision.analyzer import SessionAnalyzer
from ..vision.detection import detect_faces
from ..vision.frames import encode_jpeg

log = logging.getLogger(__name__)

IDENTITY_FRAMES = 3  # the median of the last 3 single-face comparisons must pass
IDENTITY_FAIL_FRAMES = 6  # ... and fails once 6 comparisons have not passed
IDENTITY_MAX_FRAMES = 15  # give up (failed) after this many analysed frames, faces or not
THUMBNAIL_INTERVAL = 3.0
TICK_SECONDS = 1.0  # how often stalled streams are ticked (and how long without frames counts as stalled)
WATCHED_THUMBNAIL_INTERVAL = 0.5
GIL_SWITCH_INTERVAL = 0.0005  # seconds; see LivePipeline.__init__


_EPOCH_MINUS_MONOTONIC = time.time() - time.monotonic()


def wall_clock(monotonic: float) -> float:
    """The epoch time of a ``time.monotonic()`` reading taken in this process (one fixed offset per process,
    so equal engine times give equal stored times)."""
    return _EPOCH_MINUS_MONOTONIC + monotonic


@dataclass
class Evidence:
    token: str
    relative_path: str


@dataclass
class StreamResult:
    identity: tuple[bool, float | None] | None = None
    events: list[tuple[EpisodeEvent, Evidence | None]] = field(default_factory=list)
    thumbnail: str | None = None  # data: URL


@dataclass
class _Stream:
    loop: asyncio.AbstractEventLoop
    deliver: Callable[[StreamResult], Awaitable[None]]
    evidence_dir: Path
    policy: Policy
    reference: np.ndarray | None
    analyzer: SessionAnalyzer | None = None
    checking_identity: bool = False
    identity_scores: list[float] = field(default_factory=list)
    identity_frames: int = 0
    watched: bool = False
    last_thumbnail: float = 0.0
    last_frame: float = field(default_factory=time.monotonic)  # when the decoder last handed over a frame
    lock: threading.Lock = field(default_factory=threading.Lock)  # engine calls in timestamp order


class LivePipeline:
    def __init__(self, workers: int | None = None) -> None:
        self._streams: dict[int, _Stream] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        count = settings.PROCTOR_ANALYSIS_WORKERS if workers is None else workers
        # Parallelism comes from the workers (one per core), one stream each: OpenCV's own threads inside a
        # call only add synchronisation (+16 % CPU per YuNet/SFace call with 2 workers on 2 cores).
        cv2.setNumThreads(1)
        # The media event loop shares the GIL with the analysis workers. At Python's default 5 ms switch
        # interval the loop waited up to 5 ms for the GIL after every wake-up: at 60 students on one core it
        # fell seconds behind (late STUN consent answers dropped the connections, docs/benchmarks.md).
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        self.scheduler = AnalysisScheduler(self._process, workers=count)
        if settings.PROCTOR_STATS_SECONDS > 0:
            threading.Thread(target=self._log_stats, name="analysis-stats", daemon=True).start()
        threading.Thread(target=self._tick_forever, name="analysis-ticker", daemon=True).start()

    def _tick_forever(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            try:
                self.tick_stalled()
            except Exception:
                log.exception("ticking the live streams failed")

    def _log_stats(self) -> None:
        """One ``proctor-stats {json}`` log line per interval (for operators and bench/proctor_load.py)."""
        while not self._stopped.wait(settings.PROCTOR_STATS_SECONDS):
            log.info("proctor-stats %s", json.dumps(self.scheduler.stats()))

    def stop(self) -> None:
        """Stop the worker and ticker threads (tests; a server process just exits)."""
        self._stopped.set()
        self.scheduler.stop()

    def tick_stalled(self) -> None:
        """Keep each engine's idea of "frames are arriving" right, about once a second.

        Frames still arriving (even if analysis is behind) are reported with ``skip``, so a busy process
        never reads as a lost camera; streams whose frames stopped while the socket stayed open (camera
        unplugged, media path cut) are ticked, and after the policy's minimum the engine opens ``camera_lost``.
        """
        with self._lock:
            streams = list(self._streams.items())
        for session_id, stream in streams:
            analyzer = stream.analyzer
            if analyzer is None:
                continue
            stalled = time.monotonic() - stream.last_frame >= TICK_SECONDS
            if stalled and self.scheduler.pending(session_id):
                continue  # a frame still to analyse: not a stall yet
            with stream.lock:
                now = time.monotonic()
                events = analyzer.tick(now) if stalled else analyzer.skip(now)
            if events:
                result = StreamResult(events=[(event, self._save_evidence(stream, event)) for event in events])
                stream.loop.call_soon_threadsafe(spawn, stream.deliver(result))

    def register(
        self,
        session_id: int,
        deliver: Callable[[StreamResult], Awaitable[None]],
        policy: Policy,
        reference: np.ndarray | None,
    ) -> None:
        evidence_dir = Path(settings.MEDIA_ROOT) / "evidence" / str(session_id)
        stream = _Stream(asyncio.get_running_loop(), deliver, evidence_dir, policy, reference)
        with self._lock:
            self._streams[session_id] = stream
        self.scheduler.add(session_id, rate=policy.analysis_fps)

    def unregister(self, session_id: int, deliver: Callable[[StreamResult], Awaitable[None]]) -> None:
        """Forget the stream, unless another socket of the same session has taken it over since."""
        with self._lock:
            stream = self._streams.get(session_id)
            if stream is None or stream.deliver != deliver:
                return
            del self._streams[session_id]
        self.scheduler.remove(session_id)

    def offer(self, session_id: int, frame: Any) -> None:
        if (stream := self._streams.get(session_id)) is not None:
            stream.last_frame = time.monotonic()
        self.scheduler.offer(session_id, frame)

    def _stream(self, session_id: int) -> _Stream | None:
        with self._lock:
            return self._streams.get(session_id)

    def check_identity(self, session_id: int, reference: np.ndarray) -> None:
        """Compare the next frames with ``reference``; the verdict comes back as ``StreamResult.identity``."""
        if stream := self._stream(session_id):
            stream.reference = reference
            stream.identity_scores, stream.identity_frames = [], 0
            stream.checking_identity = True

    def monitor(self, session_id: int, on: bool) -> None:
        """Start (or stop) the episode engine: from the moment the exam runs."""
        if (stream := self._stream(session_id)) is None:
            return
        stream.checking_identity = False
        if on and stream.analyzer is None:
            stream.analyzer = SessionAnalyzer(stream.reference, stream.policy, start=time.monotonic())
        elif not on:
            stream.analyzer = None

    def watch(self, session_id: int, watched: bool) -> None:
        if stream := self._stream(session_id):
            stream.watched = watched

    def browser_signal(self, session_id: int, kind: str, active: bool | None) -> list[tuple[EpisodeEvent, None]]:
        """A browser signal into the session's engine (blocking briefly: call from a worker thread).

        ``active`` None is a single event (copy/paste); otherwise an on/off state.
        """
        stream = self._stream(session_id)
        analyzer = stream.analyzer if stream is not None else None
        if analyzer is None:
            return []
        with stream.lock:
            now = time.monotonic()
            events = analyzer.mark(kind, now) if active is None else analyzer.set_state(kind, now, active)
        return [(event, self._save_evidence(stream, event)) for event in events]

    def _process(self, session_id: int, frame: Any) -> None:
        stream = self._stream(session_id)
        if stream is None:
            return
        try:
            bgr = frame.to_ndarray(format="bgr24")
            with stream.lock:
                result = self._analyse(stream, bgr)
        except Exception:
            log.exception("analysis failed for session %s", session_id)
            return
        if result is not None:
            stream.loop.call_soon_threadsafe(spawn, stream.deliver(result))

    def _analyse(self, stream: _Stream, bgr: np.ndarray) -> StreamResult | None:
        now = time.monotonic()
        result = StreamResult()
        if stream.checking_identity and stream.reference is not None:
            result.identity = self._identity_step(stream, bgr)
        analyzer = stream.analyzer
        if analyzer is not None:
            result.events = [(event, self._save_evidence(stream, event)) for event in analyzer.analyze(bgr, now)]
        interval = WATCHED_THUMBNAIL_INTERVAL if stream.watched else THUMBNAIL_INTERVAL
        if now - stream.last_thumbnail >= interval:
            stream.last_thumbnail = now
            result.thumbnail = thumbnail(bgr, large=stream.watched)
        if result.identity is None and not result.events and result.thumbnail is None:
            return None
        return result

    @staticmethod
    def _identity_step(stream: _Stream, bgr: np.ndarray) -> tuple[bool, float | None] | None:
        stream.identity_frames += 1
        faces = detect_faces(bgr)
        if len(faces) == 1:
            stream.identity_scores.append(identity.similarity(identity.embed(bgr, faces[0]), stream.reference))
        threshold = stream.policy.identity_threshold
        recent = stream.identity_scores[-IDENTITY_FRAMES:]
        decided = len(recent) == IDENTITY_FRAMES and statistics.median(recent) >= threshold
        exhausted = len(stream.identity_scores) >= IDENTITY_FAIL_FRAMES or stream.identity_frames >= IDENTITY_MAX_FRAMES
        if not decided and not exhausted:
            return None
        stream.checking_identity = False
        score = round(statistics.median(recent), 3) if recent else None
        return decided, score

    @staticmethod
    def _save_evidence(stream: _Stream, event: EpisodeEvent) -> Evidence | None:
        if event.action != "opened" or event.evidence is None:
            return None
        token = secrets.token_urlsafe(16)
        stream.evidence_dir.mkdir(parents=True, exist_ok=True)
        path = stream.evidence_dir / f"{token}.jpg"
        path.write_bytes(encode_jpeg(event.evidence, quality=80))
        return Evidence(token, str(path.relative_to(settings.MEDIA_ROOT)))


_background: set[asyncio.Future] = set()


def spawn(coroutine: Awaitable[None]) -> None:
    """Run a coroutine on the current loop in the background, keeping a reference until it is done."""
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


def thumbnail(bgr: np.ndarray, large: bool = False) -> str:
    width = 320 if large else 160
    height = round(bgr.shape[0] * width / bgr.shape[1])
    small = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
    return "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(small, quality=70)).decode()


_pipeline: LivePipeline | None = None
_pipeline_lock = threading.Lock()


def pipeline() -> LivePipeline:
    """This process's pipeline (created on first use)."""
    global _pipeline
    with _pipeline_lock:
        if _pipeline is None:
            _pipeline = LivePipeline()
        return _pipeline
