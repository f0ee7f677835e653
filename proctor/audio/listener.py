"""One stream's listening: PCM with its time in, ``speech`` episodes out, each with the clip around its onset.

The caller hands over audio as it comes (a WebRTC frame every 20 ms, or a file's chunks) with the time of its
first sample on the engine's clock; :class:`SpeechListener` runs the voice detector and tells the engine,
window by window, whether it heard speech. The last seconds of audio stay in memory so that an episode
decided 3 s after its onset can carry the clip from a second before the onset to the decision
(``EpisodeEvent.evidence``, WAV bytes). Nothing else is kept: audio is personal data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from ..episodes import Episode, EpisodeEngine, EpisodeEvent
from ..kinds import Kind
from ..policy import Policy
from .pcm import wav_bytes
from .vad import SAMPLE_RATE, WINDOW, VoiceDetector

CLIP_BEFORE_S = 1.0  # the clip starts this long before the speech did
MAX_JUMP_S = 0.25  # a chunk this far from where the previous one ended starts a new run (lost packets, a restart)

Hear = Callable[[float, str, bool, Hashable | None], list[EpisodeEvent]]  # EpisodeEngine.hear or a wrapper


class ClipBuffer:
    """The last ``keep_s`` seconds of audio, and any stretch of them as one array."""

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._chunks: deque[tuple[float, np.ndarray]] = deque()

    def add(self, t: float, samples: np.ndarray) -> None:
        self._chunks.append((t, samples))
        while self._chunks and self._chunks[0][0] + len(self._chunks[0][1]) / SAMPLE_RATE < t - self.keep_s:
            self._chunks.popleft()

    def clip(self, start: float, end: float) -> np.ndarray:
        parts = []
        for t, samples in self._chunks:
            first = max(0, round((start - t) * SAMPLE_RATE))
            last = min(len(samples), round((end - t) * SAMPLE_RATE))
            if last > first:
                parts.append(samples[first:last])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


class SpeechListener:
    """Calls for one stream must not overlap (one thread at a time)."""

    def __init__(self, hear: Hear, window_s: float, detector: VoiceDetector | None = None) -> None:
        self._hear = hear
        self.detector = detector or VoiceDetector()
        self._buffer = ClipBuffer(window_s + CLIP_BEFORE_S + 1.0)
        self._end: float | None = None  # the time just after the last sample fed

    def feed(self, t: float, samples: np.ndarray) -> list[EpisodeEvent]:
        """Audio whose first sample is at ``t`` seconds; the engine's events, an opened one with its clip."""
        if self._end is not None and (abs(t - self._end) <= MAX_JUMP_S or t < self._end):
            t = self._end  # the stream's own sample clock, not the jitter of arrival times; never back in time
        self._end = t + len(samples) / SAMPLE_RATE
        self._buffer.add(t, samples)
        first = t - self.detector.pending / SAMPLE_RATE  # the detector still holds the start of a window
        events = []
        for index, speaking in enumerate(self.detector.feed(samples)):
            window_start = first + index * WINDOW / SAMPLE_RATE
            events += self._hear(window_start + WINDOW / SAMPLE_RATE, Kind.SPEECH, speaking, round(window_start, 3))
        return [self._with_clip(event) for event in events]

    def close(self) -> None:
        self.detector.release()

    def _with_clip(self, event: EpisodeEvent) -> EpisodeEvent:
        if event.action != "opened":
            return event
        clip = self._buffer.clip(event.episode.start - CLIP_BEFORE_S, event.at)
        return replace(event, evidence=wav_bytes(clip)) if len(clip) else event


@dataclass
class Listening:
    episodes: list[Episode]  # closed, by start
    clips: dict[float, bytes]  # episode start -> WAV clip


def listen(chunks: Iterable[tuple[float, np.ndarray]], policy: Policy) -> Listening:
    """A whole recording's audio (e.g. :func:`proctor.audio.pcm.read_audio`) through its own engine, as if live."""
    engine = EpisodeEngine(policy)
    listener = SpeechListener(engine.hear, policy.speech_window_s)
    clips: dict[float, bytes] = {}
    end = 0.0
    try:
        for t, samples in chunks:
            for event in listener.feed(t, samples):
                if event.action == "opened" and isinstance(event.evidence, bytes):
                    clips[event.episode.start] = event.evidence
            end = max(end, t + len(samples) / SAMPLE_RATE)
    finally:
        listener.close()
    engine.finish(max(end, engine.now))
    return Listening(engine.episodes, clips)
