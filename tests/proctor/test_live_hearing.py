"""The live microphone path without a browser: a microphone's Opus packets as the receiver's tap hands them over,
through the intake's clock and decoder, then the analyst's stream state, its speech engine and the evidence clip on
disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aiortc.jitterbuffer import JitterFrame

from bench.audio_corpus import TUNING_UTTERANCES, require_espeak, resample, scene
from bench.media import opus_packets
from proctor.live.analyst import StreamAnalysis, _handle
from proctor.live.hearing import MAX_PENDING_FRAMES, MAX_PENDING_SECONDS, AudioIntake
from proctor.policy import Policy
from rtc.opus import OpusDecoder

OPUS_RATE = 48000
FRAME = 960  # 20 ms, what a browser sends by default
LONG_FRAME = 2880  # 60 ms, as the exam's answer asks for (rtc.opus)


def tapped_frames(samples: np.ndarray, first_timestamp: int = 0, length: int = LONG_FRAME) -> list[JitterFrame]:
    """16-kHz float samples as the microphone's tap hands them over: Opus frames with 48-kHz RTP timestamps."""
    pcm = (np.clip(resample(samples, 16000, OPUS_RATE), -1, 1) * 32767).astype(np.int16)
    packets = opus_packets(pcm, frame_ms=length * 1000 // OPUS_RATE)
    return [JitterFrame(data, first_timestamp + index * length) for index, data in enumerate(packets)]


def test_the_intake_keeps_the_streams_sample_clock_through_arrival_jitter() -> None:
    intake = AudioIntake()
    frames = tapped_frames(np.zeros(16000, dtype=np.float32), first_timestamp=123_456, length=FRAME)
    jitter = [0.0, 0.03, -0.01, 0.05, 0.0]
    for index, frame in enumerate(frames):
        intake.offer(frame, 500.0 + index * 0.02 + jitter[index % len(jitter)])
    chunks = intake.take()
    assert [round(t, 3) for t, _ in chunks[:3]] == [500.0, 500.02, 500.04]
    assert sum(len(samples) for _, samples in chunks) == pytest.approx(16000, abs=320)  # decoded to 16 kHz mono
    assert intake.take() == []  # taken once
    # A new peer's clock (timestamps from elsewhere) far from the arrival time: the clock starts again from arrival.
    intake.offer(tapped_frames(np.zeros(960, dtype=np.float32), first_timestamp=9_000_000)[0], 520.0)
    assert [t for t, _ in intake.take()] == [520.0]


@pytest.mark.parametrize("length", [FRAME, LONG_FRAME])
def test_a_stalled_intake_keeps_the_last_seconds_of_audio_whatever_the_frame_length(length: int) -> None:
    intake = AudioIntake()
    for index, frame in enumerate(tapped_frames(np.zeros(12 * 16000, dtype=np.float32), length=length)):
        intake.offer(frame, 100.0 + index * length / OPUS_RATE)  # nobody takes them
    chunks = intake.take()
    assert chunks[0][0] == pytest.approx(112.0 - MAX_PENDING_SECONDS, abs=length / OPUS_RATE)
    assert sum(len(samples) for _, samples in chunks) == pytest.approx(MAX_PENDING_SECONDS * 16000, abs=length / 3)


def test_a_sender_whose_timestamps_stand_still_cannot_grow_the_intake() -> None:
    """A hostile client may send any number of frames with one RTP timestamp: the span never grows, the count
    bound holds."""
    intake = AudioIntake()
    frame = tapped_frames(np.zeros(960, dtype=np.float32))[0]
    for index in range(5 * MAX_PENDING_FRAMES):
        intake.offer(JitterFrame(frame.data, 0), 100.0 + index * 1e-4)
    assert len(intake.take()) == MAX_PENDING_FRAMES


def test_a_packet_the_decoder_cannot_read_costs_only_itself() -> None:
    """A hostile or broken sender's garbage between good packets: no samples for it, the stream goes on."""
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    frames = tapped_frames(tone)
    frames.insert(5, JitterFrame(b"\xff\xff\xff\x00 not opus", frames[5].timestamp))
    decoder = OpusDecoder(16000)
    lengths = [len(decoder.decode(frame.data)) for frame in frames]
    assert lengths[5] == 0
    assert all(length > 0 for length in lengths[8:])
    assert sum(lengths) >= 14_000
    loud = np.concatenate([decoder.decode(frame.data) for frame in tapped_frames(tone)[3:]])
    assert np.sqrt(np.mean(loud.astype(np.float64) ** 2)) > 3000  # the tone at about its level (0.3 of full scale)


def monitored(tmp_path: Path, policy: Policy) -> StreamAnalysis:
    stream = StreamAnalysis(policy, None, tmp_path, "evidence/7")
    stream.monitor(True, 100.0)
    return stream


def test_the_analyst_hears_a_sentence_and_stores_its_clip_as_evidence(tmp_path: Path) -> None:
    """Two streams in the same listen requests (their detectors run batched): the one with a sentence gets its
    episode and clip, the one with only a keyboard gets nothing."""
    require_espeak()
    sound = scene("live", "keyboard", ((2.0, TUNING_UTTERANCES[2]),), seconds=10.0)
    typing = scene("live", "keyboard", seconds=10.0, seed=3)
    intakes = {7: AudioIntake(), 8: AudioIntake()}
    streams = {7: monitored(tmp_path, Policy()), 8: monitored(tmp_path, Policy())}
    events: dict[int, list] = {7: [], 8: []}
    frames = {7: tapped_frames(sound.samples), 8: tapped_frames(typing.samples)}
    for batch in range(0, len(frames[7]), 8):  # the hearing thread's half-second batches
        for sid, intake in intakes.items():
            for index, frame in enumerate(frames[sid][batch : batch + 8]):
                intake.offer(frame, 100.0 + (batch + index) * LONG_FRAME / OPUS_RATE)
        heard = _handle(streams, "listen", None, [(sid, intake.take()) for sid, intake in intakes.items()])
        for sid in events:
            events[sid] += heard[sid]
    [(start, end)] = sound.speech
    assert [(e.action, e.episode.kind, round(e.episode.start - 100.0, 1)) for e, _ in events[7]] == [
        ("opened", "speech", pytest.approx(start, abs=0.3)),
        ("closed", "speech", pytest.approx(start, abs=0.3)),
    ]
    assert events[7][1][0].episode.end - 100.0 == pytest.approx(end, abs=1.0)
    assert events[8] == []
    evidence = events[7][0][1]
    assert evidence is not None
    assert evidence.relative_path == f"evidence/7/{evidence.token}.wav"
    assert (tmp_path / evidence.relative_path).read_bytes()[:4] == b"RIFF"
    assert events[7][0][0].evidence is None  # the clip stays in the analyst; only its name goes back
    _handle(streams, "unregister", 7)
    assert list(streams) == [8]
    assert _handle(streams, "listen", None, [(7, [(200.0, np.zeros(960, dtype=np.int16))])]) == {}


def test_an_exam_that_does_not_listen_has_no_listener(tmp_path: Path) -> None:
    stream = monitored(tmp_path, Policy.from_dict({"rules": {"speech": {"enabled": False}}}))
    assert stream.listener is None
    assert _handle({7: stream}, "listen", None, [(7, [(100.0, np.zeros(16000, dtype=np.int16))])]) == {7: []}
