"""The live microphone path without a browser: WebRTC-like audio frames through the intake's clock and
resampler, then the analyst's stream state, its speech engine and the evidence clip on disk."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from bench.audio_corpus import TUNING_UTTERANCES, require_espeak, resample, scene
from proctor.live.analyst import StreamAnalysis, _handle
from proctor.live.hearing import MAX_PENDING_SECONDS, AudioIntake
from proctor.policy import Policy

OPUS_RATE = 48000
FRAME = 960  # 20 ms, as aiortc decodes a default Opus stream
LONG_FRAME = 2880  # 60 ms, as the exam's answer asks for (rtc.opus)


def webrtc_frames(samples: np.ndarray, first_pts: int = 0, length: int = FRAME) -> list[av.AudioFrame]:
    """16-kHz float samples as aiortc hands them over: stereo s16 frames at 48 kHz with RTP-based pts."""
    pcm = (np.clip(resample(samples, 16000, OPUS_RATE), -1, 1) * 32767).astype(np.int16)
    frames = []
    for start in range(0, len(pcm) - length + 1, length):
        stereo = np.repeat(pcm[start : start + length], 2)[None, :]
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = OPUS_RATE, first_pts + start, Fraction(1, OPUS_RATE)
        frames.append(frame)
    return frames


def test_the_intake_keeps_the_streams_sample_clock_through_arrival_jitter() -> None:
    intake = AudioIntake()
    frames = webrtc_frames(np.zeros(16000, dtype=np.float32), first_pts=123_456)
    jitter = [0.0, 0.03, -0.01, 0.05, 0.0]
    for index, frame in enumerate(frames):
        intake.offer(frame, 500.0 + index * 0.02 + jitter[index % len(jitter)])
    chunks = intake.take()
    assert [round(t, 3) for t, _ in chunks[:3]] == [500.0, 500.02, 500.04]
    assert sum(len(samples) for _, samples in chunks) == pytest.approx(16000, abs=320)  # resampled to 16 kHz mono
    assert intake.take() == []  # taken once
    # A new peer's clock (pts from elsewhere) far from the arrival time: the clock starts again from arrival.
    intake.offer(webrtc_frames(np.zeros(960, dtype=np.float32), first_pts=9_000_000)[0], 520.0)
    assert [t for t, _ in intake.take()] == [520.0]


@pytest.mark.parametrize("length", [FRAME, LONG_FRAME])
def test_a_stalled_intake_keeps_the_last_seconds_of_audio_whatever_the_frame_length(length: int) -> None:
    intake = AudioIntake()
    for index, frame in enumerate(webrtc_frames(np.zeros(12 * 16000, dtype=np.float32), length=length)):
        intake.offer(frame, 100.0 + index * length / OPUS_RATE)  # nobody takes them
    chunks = intake.take()
    assert chunks[0][0] == pytest.approx(112.0 - MAX_PENDING_SECONDS, abs=length / OPUS_RATE)
    assert sum(len(samples) for _, samples in chunks) == pytest.approx(MAX_PENDING_SECONDS * 16000, abs=length / 3)


def monitored(tmp_path: Path, policy: Policy) -> StreamAnalysis:
    stream = StreamAnalysis(policy, None, tmp_path, "evidence/7")
    stream.monitor(True, 100.0)
    return stream


def test_the_analyst_hears_a_sentence_and_stores_its_clip_as_evidence(tmp_path: Path) -> None:
    require_espeak()
    sound = scene("live", "keyboard", ((2.0, TUNING_UTTERANCES[2]),), seconds=10.0)
    intake = AudioIntake()
    stream = monitored(tmp_path, Policy())
    events = []
    frames = webrtc_frames(sound.samples)
    for batch in range(0, len(frames), 25):  # the hearing thread's half-second batches
        for index, frame in enumerate(frames[batch : batch + 25]):
            intake.offer(frame, 100.0 + (batch + index) * 0.02)
        events += _handle({7: stream}, "listen", None, [(7, intake.take())])[7]
    [(start, end)] = sound.speech
    assert [(e.action, e.episode.kind, round(e.episode.start - 100.0, 1)) for e, _ in events] == [
        ("opened", "speech", pytest.approx(start, abs=0.3)),
        ("closed", "speech", pytest.approx(start, abs=0.3)),
    ]
    assert events[1][0].episode.end - 100.0 == pytest.approx(end, abs=1.0)
    evidence = events[0][1]
    assert evidence is not None
    assert evidence.relative_path == f"evidence/7/{evidence.token}.wav"
    assert (tmp_path / evidence.relative_path).read_bytes()[:4] == b"RIFF"
    assert events[0][0].evidence is None  # the clip stays in the analyst; only its name goes back
    _handle({7: stream}, "unregister", 7)
    assert stream.listener is None  # the voice detector's model went back to the pool


def test_an_exam_that_does_not_listen_has_no_listener(tmp_path: Path) -> None:
    stream = monitored(tmp_path, Policy.from_dict({"rules": {"speech": {"enabled": False}}}))
    assert stream.listener is None
    assert stream.listen([(100.0, np.zeros(16000, dtype=np.int16))]) == []
