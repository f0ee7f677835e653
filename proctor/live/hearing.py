"""The microphone's way to the analysts: decoded audio frames stamped on the event loop, sent on in batches.

aiortc decodes a student's Opus into a 60-ms frame about 17 times a second while there is sound, and into two frames
every 400 ms or so in silence (DTX, :mod:`rtc.opus`; nothing here counts frames, so other lengths work too). The event
loop only stamps each frame with its time on the engine clock and keeps a reference (:meth:`AudioIntake.offer`); the
pipeline's hearing thread takes a stream's frames every :data:`BATCH_SECONDS`, resamples them to 16-kHz mono (PyAV, in
C) and hands them to the stream's analyst in one request, where the voice detector and the speech engine run
(:class:`proctor.audio.listener.SpeechListener`). Speech episodes need 3 s of speech anyway, so the batch's half
second of delay costs nothing, and one request per half second instead of one per frame keeps the pipe quiet.

Times follow the stream's own sample clock (the frames' RTP-based ``pts``) from the moment its first frame
arrived, so arrival jitter does not stretch or squeeze speech; a clock more than :data:`CLOCK_DRIFT_SECONDS`
away from arrival (a new peer, a long loss) starts again from the arrival time. The gaps DTX leaves between the
frames' times are silence to the listener.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import numpy as np

from ..audio.pcm import Resampler

BATCH_SECONDS = 0.5
CLOCK_DRIFT_SECONDS = 1.0
MAX_PENDING_SECONDS = 5.0  # of audio held for a stalled hearing thread: it drops the oldest frames, never grows


class AudioIntake:
    """One stream's microphone between the event loop (:meth:`offer`) and the hearing thread (:meth:`take`)."""

    def __init__(self) -> None:
        self._frames: deque[tuple[float, Any]] = deque()
        self._pending_s = 0.0  # the audio in ``_frames``
        self._lock = threading.Lock()
        self._anchor: tuple[float, float] | None = None  # (engine time, stream time) of the clock's origin
        self._resampler = Resampler()

    def offer(self, frame: Any, now: float) -> None:
        """A decoded frame that arrived at ``now`` (engine time; on the event loop: cheap)."""
        t = self._time(frame, now)
        with self._lock:
            self._frames.append((t, frame))
            self._pending_s += _seconds(frame)
            while self._pending_s > MAX_PENDING_SECONDS:
                self._pending_s -= _seconds(self._frames.popleft()[1])

    def take(self) -> list[tuple[float, np.ndarray]]:
        """The frames offered since the last call, as (time of the first sample, 16-kHz mono int16) chunks."""
        with self._lock:
            frames = list(self._frames)
            self._frames.clear()
            self._pending_s = 0.0
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


def _seconds(frame: Any) -> float:
    return frame.samples / frame.sample_rate
