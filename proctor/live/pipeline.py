"""The per-process live pipeline: decoded frames in, identity results / episodes / thumbnails out.

Frames are handed over on the event loop (cheap: a reference to the decoded frame);
conversion and face analysis run on the scheduler's worker threads; results are
posted back to the owning event loop as :class:`StreamResult` values.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import statistics
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

from .analysis import SAME_PERSON_COSINE, thread_analyser
from .tracker import EpisodeTracker, Transition

log = logging.getLogger(__name__)

IDENTITY_FRAMES = 3  # single-face frames compared before deciding
IDENTITY_MAX_FRAMES = 15  # give up (failed) after this many analysed frames
RUNNING_MATCH_INTERVAL = 3.0  # seconds between identity comparisons while the exam runs
THUMBNAIL_INTERVAL = 3.0
WATCHED_THUMBNAIL_INTERVAL = 0.5


@dataclass
class Evidence:
    token: str
    relative_path: str


@dataclass
class StreamResult:
    identity: tuple[bool, float | None] | None = None
    transitions: list[tuple[Transition, Evidence | None]] = field(default_factory=list)
    thumbnail: str | None = None  # data: URL
    analysed_at: float = 0.0


@dataclass
class _Stream:
    loop: asyncio.AbstractEventLoop
    deliver: Callable[[StreamResult], Awaitable[None]]
    evidence_dir: Path
    tracker: EpisodeTracker
    reference: np.ndarray | None = None
    checking_identity: bool = False
    identity_scores: list[float] = field(default_factory=list)
    identity_frames: int = 0
    monitoring: bool = False
    watched: bool = False
    last_match: float = 0.0
    last_thumbnail: float = 0.0


class LivePipeline:
    def __init__(self, workers: int | None = None, rate: float | None = None) -> None:
        self._streams: dict[int, _Stream] = {}
        self._lock = threading.Lock()
        self.scheduler = AnalysisScheduler(
            self._process,
            workers=workers or settings.PROCTOR_ANALYSIS_WORKERS,
            rate=rate or settings.PROCTOR_ANALYSIS_RATE,
        )

    def register(
        self,
        session_id: int,
        deliver: Callable[[StreamResult], Awaitable[None]],
        tracker: EpisodeTracker,
        reference: np.ndarray | None,
    ) -> None:
        evidence_dir = Path(settings.MEDIA_ROOT) / "evidence" / str(session_id)
        stream = _Stream(asyncio.get_running_loop(), deliver, evidence_dir, tracker, reference)
        with self._lock:
            self._streams[session_id] = stream
        self.scheduler.add(session_id)

    def unregister(self, session_id: int) -> None:
        self.scheduler.remove(session_id)
        with self._lock:
            self._streams.pop(session_id, None)

    def offer(self, session_id: int, frame: Any) -> None:
        self.scheduler.offer(session_id, frame)

    def configure(self, session_id: int, **changes: Any) -> None:
        """Change a stream's mode: checking_identity, monitoring, watched, reference."""
        with self._lock:
            stream = self._streams.get(session_id)
            if stream is None:
                return
            for name, value in changes.items():
                setattr(stream, name, value)
            if changes.get("checking_identity"):
                stream.identity_scores, stream.identity_frames = [], 0

    def _process(self, session_id: int, frame: Any) -> None:
        with self._lock:
            stream = self._streams.get(session_id)
        if stream is None:
            return
        try:
            result = self._analyse(stream, frame.to_ndarray(format="bgr24"))
        except Exception:
            log.exception("analysis failed for session %s", session_id)
            return
        if result is not None:
            stream.loop.call_soon_threadsafe(spawn, stream.deliver(result))

    def _analyse(self, stream: _Stream, bgr: np.ndarray) -> StreamResult | None:
        now = time.time()
        result = StreamResult(analysed_at=now)
        compare = stream.reference is not None and (
            stream.checking_identity or now - stream.last_match >= RUNNING_MATCH_INTERVAL
        )
        observation = thread_analyser().analyse(bgr, stream.reference if compare else None)
        if observation.match is not None:
            stream.last_match = now
        if stream.checking_identity:
            result.identity = self._identity_step(stream, observation.match)
        if stream.monitoring:
            for transition in stream.tracker.observe(observation, now):
                evidence = self._save_evidence(stream, bgr) if transition.opened else None
                result.transitions.append((transition, evidence))
        interval = WATCHED_THUMBNAIL_INTERVAL if stream.watched else THUMBNAIL_INTERVAL
        if now - stream.last_thumbnail >= interval:
            stream.last_thumbnail = now
            result.thumbnail = thumbnail(bgr, large=stream.watched)
        if result.identity is None and not result.transitions and result.thumbnail is None:
            return None
        return result

    @staticmethod
    def _identity_step(stream: _Stream, match: float | None) -> tuple[bool, float | None] | None:
        stream.identity_frames += 1
        if match is not None:
            stream.identity_scores.append(match)
        if len(stream.identity_scores) >= IDENTITY_FRAMES:
            score = statistics.median(stream.identity_scores[-IDENTITY_FRAMES:])
            if score >= SAME_PERSON_COSINE or stream.identity_frames >= IDENTITY_MAX_FRAMES:
                stream.checking_identity = False
                return score >= SAME_PERSON_COSINE, round(score, 3)
        if stream.identity_frames >= IDENTITY_MAX_FRAMES:
            stream.checking_identity = False
            score = statistics.median(stream.identity_scores) if stream.identity_scores else None
            return False, None if score is None else round(score, 3)
        return None

    @staticmethod
    def _save_evidence(stream: _Stream, bgr: np.ndarray) -> Evidence | None:
        token = secrets.token_urlsafe(16)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            return None
        stream.evidence_dir.mkdir(parents=True, exist_ok=True)
        path = stream.evidence_dir / f"{token}.jpg"
        path.write_bytes(jpeg.tobytes())
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
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode() if ok else ""


_pipeline: LivePipeline | None = None
_pipeline_lock = threading.Lock()


def pipeline() -> LivePipeline:
    """This process's pipeline (created on first use)."""
    global _pipeline
    with _pipeline_lock:
        if _pipeline is None:
            _pipeline = LivePipeline()
        return _pipeline
