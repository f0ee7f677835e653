"""The microphone's way to the analysts: encoded Opus frames stamped on the event loop, decoded and sent on in batches.

A student's browser sends a 60-ms Opus frame about 17 times a second while there is sound, and two frames every
400 ms or so in silence (DTX, :mod:`rtc.opus`; nothing here counts frames, so other lengths work too). aiortc never
decodes them (:class:`rtc.peer.StudentPeer`): the event loop only stamps each frame with its time on the engine clock
and keeps a reference (:meth:`AudioIntake.offer`); the pipeline's hearing thread takes a stream's frames every
:data:`BATCH_SECONDS`, decodes them straight to the 16-kHz mono the voice detector wants (:class:`rtc.opus.OpusDecoder`,
FFmpeg, in C) and hands them to the stream's analyst in one request, where the voice detector and the speech engine run
(:class:`proctor.audio.listener.SpeechListener`). Speech episodes need 3 s of speech anyway, so the batch's half
second of delay costs nothing, and one request per half second instead of one per frame keeps the pipe quiet.

Times follow the stream's own sample clock (the frames' RTP timestamps, 48 kHz for Opus) from the moment its first
frame arrived, so arrival jitter does not stretch or squeeze speech; a clock more than :data:`CLOCK_DRIFT_SECONDS`
away from arrival (a new peer, a long loss) starts again from the arrival time. The gaps DTX leaves between the
frames' times are silence to the listener.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np
from aiortc.jitterbuffer import JitterFrame

from rtc.opus import CLOCK_RATE, OpusDecoder

from ..audio.vad import SAMPLE_RATE

BATCH_SECONDS = 0.5
CLOCK_DRIFT_SECONDS = 1.0
MAX_PENDING_SECONDS = 5.0  # of the stream's time held for a stalled hearing thread: it drops the oldest frames
MAX_PENDING_FRAMES = 500  # and never more frames than 5 s of 10-ms ones, whatever a sender's timestamps say


class AudioIntake:
    """One stream's microphone between the event loop (:meth:`offer`) and the hearing thread (:meth:`take`)."""

    def __init__(self) -> None:
        self._frames: deque[tuple[float, JitterFrame]] = deque(maxlen=MAX_PENDING_FRAMES)  # full: the oldest goes
        self._lock = threading.Lock()
        self._anchor: tuple[float, float] | None = None  # (engine time, stream time) of the clock's origin
        self._decoder = OpusDecoder(SAMPLE_RATE)  # the hearing thread's alone

    def offer(self, frame: JitterFrame, now: float) -> None:
        """An encoded frame that arrived at ``now`` (engine time; on the event loop: cheap)."""
        t = self._time(frame.timestamp / CLOCK_RATE, now)
        with self._lock:
            self._frames.append((t, frame))
            while t - self._frames[0][0] >= MAX_PENDING_SECONDS:
                self._frames.popleft()

    def take(self) -> list[tuple[float, np.ndarray]]:
        """The frames offered since the last call, decoded: (time of the first sample, 16-kHz mono int16) chunks."""
        with self._lock:
            frames = list(self._frames)
            self._frames.clear()
        chunks = [(t, self._decoder.decode(frame.data)) for t, frame in frames]
        return [(t, samples) for t, samples in chunks if len(samples)]

    def _time(self, stream_time: float, now: float) -> float:
        if self._anchor is not None:
            t = self._anchor[0] + (stream_time - self._anchor[1])
            if abs(t - now) <= CLOCK_DRIFT_SECONDS:
                return t
        self._anchor = (now, stream_time)
        return now
