"""The listener's timeline across gaps in the audio: a microphone in DTX sends nothing while it is quiet, and that
gap is heard as silence (up to ``MAX_SILENT_GAP_S``); a longer gap starts a new run. A recorded file's reader keeps
the gaps where they were.

The detector here calls a window speech when it is loud, so the test pins the listener's timing and the engine's
"3 s of speech within 5 s", not the voice model (tests/proctor/test_speech.py does that on real audio).
"""

from __future__ import annotations

import io
import wave
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pytest
from aiortc.jitterbuffer import JitterFrame

from bench.media import camera, microphone
from proctor.audio.listener import CLIP_BEFORE_S, MAX_SILENT_GAP_S, SpeechListener
from proctor.audio.pcm import read_audio
from proctor.audio.vad import CONTEXT, SAMPLE_RATE, WINDOW_S, VoiceDetector
from proctor.episodes import EpisodeEngine, EpisodeEvent
from proctor.policy import DEFAULT_POLICY
from tests.exams.test_recording_pieces import FIRST_TICKS, encoded_frames, in_time_order, write_piece

FRAME = 960  # 60 ms at 16 kHz: one Opus frame as the exam's answer asks for it (rtc.opus)
LOUD = 8000


class LoudIsSpeech:
    """A speech model that hears speech wherever the window is loud, silence where it is zeros."""

    def score(self, inputs: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loud = np.abs(inputs[:, CONTEXT:]).mean(axis=1) > LOUD / 2 / 32768
        return loud.astype(np.float32), states


class LoudGate(VoiceDetector):
    """Every window reaches the model (a constant level is not a voice to webrtcvad)."""

    def _gate(self, window: np.ndarray) -> bool:
        return True


class Heard:
    """The engine's ears, and a record of every window the listener told it about: (end time, speech)."""

    def __init__(self) -> None:
        self.engine = EpisodeEngine(DEFAULT_POLICY)
        self.windows: list[tuple[float, bool]] = []

    def __call__(self, t: float, kind: str, on: bool, ref: Hashable | None) -> list[EpisodeEvent]:
        self.windows.append((t, on))
        return self.engine.hear(t, kind, on, ref)


def speech(start: float, seconds: float) -> list[tuple[float, np.ndarray]]:
    """``seconds`` of loud audio from ``start`` in 60-ms chunks, timed as the stream's sample clock times them."""
    count = round(seconds * SAMPLE_RATE / FRAME)
    return [(start + index * FRAME / SAMPLE_RATE, np.full(FRAME, LOUD, dtype=np.int16)) for index in range(count)]


def listened(*parts: list[tuple[float, np.ndarray]]) -> tuple[Heard, list[EpisodeEvent]]:
    heard = Heard()
    listener = SpeechListener(heard, DEFAULT_POLICY.speech_window_s, LoudGate(LoudIsSpeech()))
    events = [event for part in parts for t, samples in part for event in listener.feed(t, samples)]
    return heard, events


def wav_samples(clip: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(clip)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def test_a_dtx_gap_is_heard_as_silence_between_the_windows_around_it() -> None:
    heard, events = listened(speech(0.0, 1.2), speech(2.7, 1.5))  # 1.5 s with no packets in between
    times = [t for t, _ in heard.windows]
    assert np.diff(times) == pytest.approx(WINDOW_S)  # one unbroken run of windows through the gap
    assert times[-1] == pytest.approx(4.2, abs=WINDOW_S)
    in_gap = [on for t, on in heard.windows if 1.2 + WINDOW_S < t <= 2.7]
    assert len(in_gap) >= 40
    assert not any(in_gap)
    # 1.2 + 1.5 = 2.7 s of speech in 4.2 s: short of the policy's 3 s (with the gap counted as speech it is not).
    heard.engine.finish(times[-1])
    assert events == []
    assert heard.engine.episodes == []


def test_speech_on_both_sides_of_a_dtx_gap_opens_one_episode_with_the_gap_silent_in_its_clip() -> None:
    _, events = listened(speech(0.0, 2.04), speech(3.54, 1.5))  # 2.04 + 1.5 s of speech in 5.04 s
    [opened] = [event for event in events if event.action == "opened"]
    assert opened.episode.start == pytest.approx(0.0, abs=2 * WINDOW_S)
    assert opened.at == pytest.approx(3.54 + 0.96, abs=2 * WINDOW_S)  # the third second of speech, gap not counted
    assert isinstance(opened.evidence, bytes)
    clip = wav_samples(opened.evidence)  # from a second before the onset (nothing then) to the decision
    assert len(clip) == pytest.approx((opened.at - max(0.0, opened.episode.start - CLIP_BEFORE_S)) * SAMPLE_RATE, abs=2)
    second = SAMPLE_RATE
    assert (clip[: 2 * second] == LOUD).all()
    assert (clip[round(2.04 * second) : round(3.54 * second)] == 0).all()  # the gap, as silence
    assert (clip[round(3.54 * second) :] == LOUD).all()


def test_a_gap_longer_than_the_silence_allowed_starts_a_new_run() -> None:
    after = 1.2 + MAX_SILENT_GAP_S + 8.0
    heard, _ = listened(speech(0.0, 1.2), speech(after, 1.2))
    times = [t for t, _ in heard.windows]
    steps = np.diff(times)
    assert len(times) == round(2 * 1.2 / WINDOW_S)  # nothing was heard for the gap
    assert max(steps) == pytest.approx(after - 1.2, abs=2 * WINDOW_S)
    assert times[-1] == pytest.approx(after + 1.2, abs=WINDOW_S)


def test_a_chunk_a_few_samples_off_continues_the_run_without_silence() -> None:
    jittered = [(t + (0.003 if index % 2 else -0.004), samples) for index, (t, samples) in enumerate(speech(0.0, 3.0))]
    heard, _ = listened(jittered)
    assert np.diff([t for t, _ in heard.windows]) == pytest.approx(WINDOW_S)
    assert all(on for _, on in heard.windows)


def test_a_recorded_microphone_is_read_with_its_dtx_gaps_where_they_were(tmp_path: Path) -> None:
    """A piece as the exam records it (60-ms frames, DTX in the silence) read back by ``python -m proctor``'s reader:
    every chunk at its frame's time, not packed end to end."""
    mic = microphone(6, 440, sounding_s=2)
    audio = [("audio", JitterFrame(data, FIRST_TICKS + at)) for at, data in mic.packets]
    video = encoded_frames(camera(tmp_path / "camera.webm", 6))
    piece = write_piece(tmp_path / "piece.webm", in_time_order(video, audio)).path
    chunks = list(read_audio(piece))
    sent = [at / 48_000 for at, _ in mic.packets]
    assert [t for t, _ in chunks[1:]] == pytest.approx(sent[1:], abs=0.002)  # the first lacks the pre-skip
    assert {len(samples) for _, samples in chunks[1:-1]} == {FRAME}  # 60 ms each at 16 kHz
