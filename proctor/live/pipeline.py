"""The per-process live pipeline: decoded frames in, identity results / episodes / thumbnails out.

Frames are handed over on the event loop (cheap: a reference to the decoded frame). The scheduler's
worker threads pick the due ones; each worker has its own analyst process (:mod:`.analyst`) holding the
vision state of the streams assigned to it, so analysis never shares the media loop's GIL. Results are
posted back to the owning event loop as :class:`StreamResult` values.

Two phases per stream: the identity check before the exam opens (each analysed frame with
one face is compared with the reference photo) and monitoring while the exam runs (the
vision engine's :class:`~proctor.vision.analyzer.SessionAnalyzer` decides the episodes).
Engine time is ``time.monotonic()`` (one clock for every process of the machine); ``wall_clock``
turns it into wall-clock time for storage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiortc.jitterbuffer import JitterFrame
from django.conf import settings

from rtc.scheduler import AnalysisScheduler
from server.aio import spawn

from ..episodes import EpisodeEvent
from ..policy import Policy
from . import hearing
from .analyst import Analyst, AnalystGone, Evidence, StreamResult

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0  # how often stalled streams are ticked (and how long without frames counts as stalled)

_EPOCH_MINUS_MONOTONIC = time.time() - time.monotonic()


def wall_clock(monotonic: float) -> float:
    """The epoch time of a ``time.monotonic()`` reading (one fixed offset per process, so equal engine
    times give equal stored times)."""
    return _EPOCH_MINUS_MONOTONIC + monotonic


def engine_time(epoch: float) -> float:
    """The ``time.monotonic()`` reading of an epoch time (the inverse of :func:`wall_clock`)."""
    return epoch - _EPOCH_MINUS_MONOTONIC


@dataclass
class _Stream:
    loop: asyncio.AbstractEventLoop
    deliver: Callable[[StreamResult], Awaitable[None]]
    worker: int  # the scheduler worker, and so the analyst, serving the stream (-1: no analysis at all)
    policy: Policy
    reference: np.ndarray | None
    monitored: bool = False
    checking_identity: bool = False
    last_frame: float = field(default_factory=time.monotonic)  # when the decoder last handed over a frame
    audio: hearing.AudioIntake = field(default_factory=hearing.AudioIntake)  # the microphone, while monitored


class LivePipeline:
    def __init__(self, workers: int | None = None) -> None:
        count = settings.PROCTOR_ANALYSIS_WORKERS if workers is None else workers
        self._streams: dict[int, _Stream] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._analysts = [Analyst(f"analyst-{i}") for i in range(count)]
        self._restarting = threading.Lock()
        self.scheduler = AnalysisScheduler(self._process, workers=count)
        if settings.PROCTOR_STATS_SECONDS > 0:
            threading.Thread(target=self._log_stats, name="analysis-stats", daemon=True).start()
        threading.Thread(target=self._tick_forever, name="analysis-ticker", daemon=True).start()
        threading.Thread(target=self._hear_forever, name="analysis-hearing", daemon=True).start()

    @property
    def analysts(self) -> list[Analyst]:
        """The analyst processes, by worker (operators and tests)."""
        return list(self._analysts)

    def _tick_forever(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            try:
                self.tick_stalled()
            except Exception:
                log.exception("ticking the live streams failed")

    def _hear_forever(self) -> None:
        while not self._stopped.wait(hearing.BATCH_SECONDS):
            try:
                self.hear()
            except Exception:
                log.exception("hearing the live streams failed")

    def _log_stats(self) -> None:
        """One ``proctor-stats {json}`` log line per interval (for operators and bench/proctor_load.py)."""
        while not self._stopped.wait(settings.PROCTOR_STATS_SECONDS):
            log.info("proctor-stats %s", json.dumps(self.scheduler.stats()))

    def stop(self) -> None:
        """Stop the worker and ticker threads and the analyst processes (tests; a server process just exits)."""
        self._stopped.set()
        self.scheduler.stop()
        for analyst in self._analysts:
            analyst.stop()

    def tick_stalled(self) -> None:
        """Keep each engine's idea of "frames are arriving" right, about once a second.

        Frames still arriving (even if analysis is behind) are reported with ``skip``, so a busy process
        never reads as a lost camera; streams whose frames stopped while the socket stayed open (camera
        unplugged, media path cut) are ticked, and after the policy's minimum the engine opens ``camera_lost``.
        """
        with self._lock:
            monitored = [(sid, s) for sid, s in self._streams.items() if s.monitored and s.worker >= 0]
        now = time.monotonic()
        by_worker: dict[int, list[tuple[int, float, bool]]] = {}
        for session_id, stream in monitored:
            stalled = now - stream.last_frame >= TICK_SECONDS
            if not (stalled and self.scheduler.pending(session_id)):  # a frame still to analyse: not a stall yet
                by_worker.setdefault(stream.worker, []).append((session_id, now, stalled))
        for worker, items in by_worker.items():
            for session_id, events in (self._call(worker, "tick", None, items) or {}).items():
                if events and (target := self._stream(session_id)) is not None:
                    target.loop.call_soon_threadsafe(spawn, target.deliver(StreamResult(events=events)))

    def hear(self) -> None:
        """Hand each monitored stream's microphone audio since the last call to its analyst (see :mod:`.hearing`)."""
        with self._lock:
            monitored = [(sid, s) for sid, s in self._streams.items() if s.monitored and s.worker >= 0]
        by_worker: dict[int, list[tuple[int, list]]] = {}
        for session_id, stream in monitored:
            if chunks := stream.audio.take():
                by_worker.setdefault(stream.worker, []).append((session_id, chunks))
        for worker, items in by_worker.items():
            for session_id, events in (self._call(worker, "listen", None, items) or {}).items():
                if events and (target := self._stream(session_id)) is not None:
                    target.loop.call_soon_threadsafe(spawn, target.deliver(StreamResult(events=events)))

    def offer_audio(self, session_id: int, frame: JitterFrame) -> None:
        """An encoded microphone frame (on the event loop): kept for the hearing thread while the exam runs."""
        if (stream := self._streams.get(session_id)) is not None and stream.monitored and stream.worker >= 0:
            stream.audio.offer(frame, time.monotonic())

    def register(
        self,
        session_id: int,
        deliver: Callable[[StreamResult], Awaitable[None]],
        policy: Policy,
        reference: np.ndarray | None,
    ) -> None:
        worker = self.scheduler.add(session_id, rate=policy.analysis_fps)
        stream = _Stream(asyncio.get_running_loop(), deliver, worker, policy, reference)
        with self._lock:
            self._streams[session_id] = stream
        self._post(session_id, stream, "register", *self._registration(session_id, stream))

    @staticmethod
    def _registration(session_id: int, stream: _Stream) -> tuple:
        return stream.policy, stream.reference, Path(settings.MEDIA_ROOT), f"evidence/{session_id}"

    def unregister(self, session_id: int, deliver: Callable[[StreamResult], Awaitable[None]]) -> None:
        """Forget the stream, unless another socket of the same session has taken it over since."""
        with self._lock:
            stream = self._streams.get(session_id)
            if stream is None or stream.deliver != deliver:
                return
            del self._streams[session_id]
        self.scheduler.remove(session_id)
        self._post(session_id, stream, "unregister")

    def offer(self, session_id: int, frame: Any) -> None:
        if (stream := self._streams.get(session_id)) is not None:
            stream.last_frame = time.monotonic()
        self.scheduler.offer(session_id, frame)

    def _stream(self, session_id: int) -> _Stream | None:
        with self._lock:
            return self._streams.get(session_id)

    def _call(self, worker: int, action: str, session_id: int | None, *args: Any) -> Any:
        """A request to the worker's analyst and its answer; None if that analyst had died (it is restarted)."""
        try:
            return self._analysts[worker].call(action, session_id, *args)
        except AnalystGone:
            self._restart(worker)
            return None

    def _post(self, session_id: int, stream: _Stream | None, action: str, *args: Any) -> None:
        if stream is None or stream.worker < 0:
            return
        try:
            self._analysts[stream.worker].post(action, session_id, *args)
        except AnalystGone:
            self._restart(stream.worker)  # replays the stream's state, this change included

    def check_identity(self, session_id: int, reference: np.ndarray) -> None:
        """Compare the next frames with ``reference``; the verdict comes back as ``StreamResult.identity``."""
        if stream := self._stream(session_id):
            stream.reference, stream.checking_identity = reference, True
            self._post(session_id, stream, "check_identity", reference)

    def monitor(self, session_id: int, on: bool, lost_since: float | None = None) -> None:
        """Start (or stop) the episode engine: from the moment the exam runs.

        ``lost_since`` (epoch seconds): the camera is lost since then and its ``camera_lost`` episode is already
        recorded (the session comes from a media worker that died): the engine continues that episode, and the
        stream counts as stalled since then, so only a real frame ends it.
        """
        if stream := self._stream(session_id):
            stream.monitored, stream.checking_identity = on, False
            since = None if lost_since is None else engine_time(lost_since)
            if since is not None:
                stream.last_frame = min(stream.last_frame, since)
            self._post(session_id, stream, "monitor", on, time.monotonic(), since)

    def watch(self, session_id: int, watched: bool) -> None:
        self._post(session_id, self._stream(session_id), "watch", watched)

    def _restart(self, worker: int) -> None:
        """Replace a dead analyst and give it back its streams: registered, monitored or checking again.

        What the dead one had decided is already stored; conditions it was still timing start afresh.
        """
        with self._restarting:
            if self._stopped.is_set() or self._analysts[worker].process.is_alive():
                return  # stopping, or another thread has restarted it already
            dead = self._analysts[worker]
            dead.stop()
            log.error("analyst %s died (exit code %s): restarting it", worker, dead.process.exitcode)
            analyst = self._analysts[worker] = Analyst(f"analyst-{worker}")
            with self._lock:
                streams = [(sid, s) for sid, s in self._streams.items() if s.worker == worker]
            for session_id, stream in streams:
                analyst.post("register", session_id, *self._registration(session_id, stream))
                if stream.monitored:
                    analyst.post("monitor", session_id, True, time.monotonic(), None)
                elif stream.checking_identity:
                    analyst.post("check_identity", session_id, stream.reference)

    def browser_signal(
        self, session_id: int, kind: str, active: bool | None
    ) -> list[tuple[EpisodeEvent, Evidence | None]]:
        """A browser signal into the session's engine (blocking briefly: call from a worker thread).

        ``active`` None is a single event (copy/paste); otherwise an on/off state.
        """
        stream = self._stream(session_id)
        if stream is None or stream.worker < 0:
            return []
        # None also when the analyst no longer knows the stream (restarted, or the socket is being replaced).
        return self._call(stream.worker, "signal", session_id, kind, active, time.monotonic()) or []

    def _process(self, session_id: int, frame: Any) -> None:
        stream = self._stream(session_id)
        if stream is None or stream.worker < 0:
            return
        try:
            planes = frame.to_ndarray(format="yuv420p")
            result = self._call(stream.worker, "analyse", session_id, planes, time.monotonic())
        except Exception:
            log.exception("analysis failed for session %s", session_id)
            return
        if result is None:
            return
        if result.identity is not None:
            stream.checking_identity = False
        if not result.empty:
            stream.loop.call_soon_threadsafe(spawn, stream.deliver(result))


_pipeline: LivePipeline | None = None
_pipeline_lock = threading.Lock()


def pipeline() -> LivePipeline:
    """This process's pipeline (created on first use)."""
    global _pipeline
    with _pipeline_lock:
        if _pipeline is None:
            _pipeline = LivePipeline()
        return _pipeline
