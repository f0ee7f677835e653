"""The microphone's way to the analysts: decoded audio frames stamped on the event loop, sent on in batches.

aiortc decodes a student's Opus into a 20-ms frame 50 times a second. The event loop only stamps each frame
with its time on the engine clock and keeps a reference (:meth:`AudioIntake.offer`); the pipeline's hearing
thread takes a stream's frames every :data:`BATCH_SECONDS`, resamples them to 16-kHz mono (PyAV, in C) and
hands them to the stream's analyst in one request, where the voice detector and the speech engine run
(:class:`proctor.audio.listener.SpeechListener`). Speech episodes need 3 s of speech anyway, so the batch's
half second of delay costs nothing, and one request per half second instead of 25 keeps the pipe quiet.

Times follow the stream's own sample clock (the frames' RTP-based ``pts``) from the moment its first frame
arrived, so arrival jitter does not stretch or squeeze speech; a clock more than :data:`CLOCK_DRIFT_SECONDS`
away from arrival (a new peer, a long loss) starts again from the arrival time.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import numpy as np

from ..audio.pcm import Resampler

BATCH_SECONDS = 0.5
CLOCK_DRIFT_SECONDS = 1.0
MAX_PENDING_FRAMES = 250  # 5 s of 20-ms frames: a stalled hearing thread drops the oldest, never grows


class AudioIntake:
    """One stream's microphone between the event loop (:meth:`offer`) and the hearing thread (:meth:`take`)."""

    def __init__(self) -> None:
        self._frames: deque[tuple[float, Any]] = deque(maxlen=MAX_PENDING_FRAMES)
        self._lock = threading.Lock()
        self._anchor: tuple[float, float] | None = None  # (engine time, stream time) of the clock's origin
        self._resampler = Resampler()

    def offer(self, frame: Any, now: float) -> None:
        """A decoded frame that arrived at ``now`` (engine time; on the event loop: cheap)."""
        t = self._time(frame, now)
        with self._lock:
            self._frames.append((t, frame))

    def take(self) -> list[tuple[float, np.ndarray]]:
        """The frames offered since the last call, as (time of the first sample, 16-kHz mono int16) chunks."""
        with self._lock:
            frames = list(self._frames)
            self._frames.clear()
        chunks = [(t, self._resampler.convert(frame)) for t, frame in frames]
        return [(t, samples) for t, samples in chunks if len(samples)]

    def _time(self, frame: Any, now: float) -> float:
        stream_time = frame.time
        if stream_time is None:
            return now
        if self._anchor is not None:
            t = self._anchor[0] + (stream_time - self._anchor[1])
            if abs(t - now) <= CLOCK_DRIFT_SECONDS:
                return t
        self._anchor = (now, stream_time)
        return now
