"""One stream's listening: PCM with its time in, ``speech`` episodes out, each with the clip around its onset.

The caller hands over audio as it comes (a WebRTC frame every 60 ms, or a file's chunks) with the time of its first
sample on the engine's clock; :class:`SpeechListener` runs the voice detector and tells the engine, window by window,
whether it heard speech. A quiet microphone sends almost nothing (Opus DTX, :mod:`rtc.opus`): a chunk that starts up
to :data:`MAX_SILENT_GAP_S` after the previous one ended is preceded by that much silence, so the detector, the engine
and the clip see one continuous stretch of audio that says "not speaking" in the gap; a longer gap (the microphone
stopped, a new peer) starts a new run. The last seconds of audio stay in memory so that an episode decided 3 s after
its onset can carry the clip from a second before the onset to the decision (``EpisodeEvent.evidence``, WAV bytes).
Nothing else is kept: audio is personal data.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..episodes import Episode, EpisodeEngine, EpisodeEvent
from ..kinds import Kind
from ..policy import Policy
from .pcm import wav_bytes
from .vad import SAMPLE_RATE, WINDOW, VoiceDetector, decide_together

CLIP_BEFORE_S = 1.0  # the clip starts this long before the speech did
CONTINUES_S = 0.01  # a chunk this close to where the previous one ended continues it (resampler delay, rounding)
MAX_SILENT_GAP_S = 2.0  # a later chunk up to this far after the previous one's end follows silence (DTX, a lost
# packet) that is heard as such; further, it starts a new run (the microphone stopped, a restart)

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
        self._end: float | None = None  # the time just after the last sample taken

    def feed(self, t: float, samples: np.ndarray) -> list[EpisodeEvent]:
        """Audio whose first sample is at ``t`` seconds; the engine's events, an opened one with its clip."""
        return hear_together([(self, [(t, samples)])])[0]

    def _stretches(self, chunks: list[tuple[float, np.ndarray]]) -> list[tuple[float, np.ndarray]]:
        """The chunks as the detector hears them, each with the time of its first sample: a chunk that follows a
        short gap is preceded by that much silence and continues the run; after a longer one a new run starts."""
        stretches = []
        for t, samples in chunks:
            if self._end is not None:
                gap = t - self._end
                if CONTINUES_S < gap <= MAX_SILENT_GAP_S:
                    silence = np.zeros(round(gap * SAMPLE_RATE), dtype=np.int16)
                    stretches.append((self._end, silence))
                    self._end += len(silence) / SAMPLE_RATE
                if gap <= MAX_SILENT_GAP_S:
                    t = self._end  # the chunk continues the run; never back in time
            stretches.append((t, samples))
            self._end = t + len(samples) / SAMPLE_RATE
        return stretches

    def _tell(
        self, stretches: list[tuple[float, np.ndarray]], pending: int, speaking: list[bool]
    ) -> list[EpisodeEvent]:
        """The detector's decisions on ``stretches`` (it held ``pending`` samples before them) told to the engine,
        window by window at its time: the engine's events, an opened one with its clip."""
        decisions = iter(speaking)
        events: list[EpisodeEvent] = []
        for t, samples in stretches:
            self._buffer.add(t, samples)
            first = t - pending / SAMPLE_RATE  # the detector still held the start of a window
            heard: list[EpisodeEvent] = []
            for index in range((pending + len(samples)) // WINDOW):
                window_start = first + index * WINDOW / SAMPLE_RATE
                end = window_start + WINDOW / SAMPLE_RATE
                heard += self._hear(end, Kind.SPEECH, next(decisions), round(window_start, 3))
            pending = (pending + len(samples)) % WINDOW
            events += [self._with_clip(event) for event in heard]
        return events

    def _with_clip(self, event: EpisodeEvent) -> EpisodeEvent:
        if event.action != "opened":
            return event
        clip = self._buffer.clip(event.episode.start - CLIP_BEFORE_S, event.at)
        return replace(event, evidence=wav_bytes(clip)) if len(clip) else event


def hear_together(streams: Sequence[tuple[SpeechListener, list[tuple[float, np.ndarray]]]]) -> list[list[EpisodeEvent]]:
    """:meth:`SpeechListener.feed` for several streams' chunks at once (each listener once), their voice detectors
    run together (:func:`proctor.audio.vad.decide_together`: one batched Silero call per step for all of them)."""
    stretches = [(listener.detector.pending, listener._stretches(chunks)) for listener, chunks in streams]
    empty = np.zeros(0, dtype=np.int16)
    speaking = decide_together(
        [
            (listener.detector, np.concatenate([samples for _, samples in parts]) if parts else empty)
            for (listener, _), (_, parts) in zip(streams, stretches, strict=True)
        ]
    )
    return [
        listener._tell(parts, pending, decisions)
        for (listener, _), (pending, parts), decisions in zip(streams, stretches, speaking, strict=True)
    ]


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
    for t, samples in chunks:
        for event in listener.feed(t, samples):
            if event.action == "opened" and isinstance(event.evidence, bytes):
                clips[event.episode.start] = event.evidence
        end = max(end, t + len(samples) / SAMPLE_RATE)
    engine.finish(max(end, engine.now))
    return Listening(engine.episodes, clips)
