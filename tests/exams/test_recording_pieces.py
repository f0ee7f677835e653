"""Recording pieces without a server: encoded VP8 and Opus frames (as aiortc's jitter buffer hands them over) are
copied into a streaming WebM that survives its writer being killed, and pieces join on one timeline with the
microphone's waveform."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import av
import pytest
from aiortc.jitterbuffer import JitterFrame

from bench.media import DTX_CYCLE_FRAMES, camera, microphone, voice
from rtc.recording import PieceWriter, vp8_size
from rtc.recording_mux import Piece, join, joined_waveform, waveform
from tests.support.paths import REPO_ROOT

FIRST_TICKS = 12_345  # where the senders' RTP clocks start
CLOCK_RATES = {"video": 90_000, "audio": 48_000}


class MediaTime:
    """A writer's clock for a replay: it reads the media time of the frame being fed, so frames "arrive" exactly on
    time however long the host takes to feed them (a busy CI machine would otherwise stretch the piece)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(writer: PieceWriter, clock: MediaTime, frames: list[tuple[str, JitterFrame]]) -> None:
    for kind, frame in frames:
        clock.now = (frame.timestamp - FIRST_TICKS) / CLOCK_RATES[kind]
        (writer.video if kind == "video" else writer.audio)(frame)


def later(frame: JitterFrame, seconds: float) -> JitterFrame:
    """``frame`` sent ``seconds`` later (a video frame: 90 kHz RTP clock)."""
    return JitterFrame(frame.data, frame.timestamp + round(seconds * CLOCK_RATES["video"]))


def encoded_frames(video: Path, audio: Path | None = None) -> list[tuple[str, JitterFrame]]:
    """The files' packets as the receivers reassemble them (RTP clocks: 90 kHz video, 48 kHz audio), in time order."""
    frames: list[tuple[float, str, JitterFrame]] = []
    for path, kind in ((video, "video"), (audio, "audio")):
        if path is None:
            continue
        with av.open(str(path)) as container:
            for packet in container.demux(getattr(container.streams, kind)[0]):
                if packet.pts is not None and packet.size:
                    seconds = float(packet.pts * packet.time_base)
                    ticks = round(seconds * CLOCK_RATES[kind]) + FIRST_TICKS
                    frames.append((seconds, kind, JitterFrame(bytes(packet), ticks)))
    return [(kind, frame) for _, kind, frame in sorted(frames, key=lambda item: item[0])]


def in_time_order(*streams: list[tuple[str, JitterFrame]]) -> list[tuple[str, JitterFrame]]:
    frames = [item for stream in streams for item in stream]
    return sorted(frames, key=lambda item: (item[1].timestamp - FIRST_TICKS) / CLOCK_RATES[item[0]])


def write_piece(target: Path, frames: list[tuple[str, JitterFrame]]) -> PieceWriter:
    clock = MediaTime()
    writer = PieceWriter(target, clock)
    feed(writer, clock, frames)
    writer.close()
    return writer


def stream_times(path: Path) -> dict[str, list[float]]:
    with av.open(str(path)) as container:
        times: dict[str, list[float]] = {"video": [], "audio": []}
        for packet in container.demux():
            if packet.pts is not None and packet.size:
                times[packet.stream.type].append(float(packet.pts * packet.time_base))
    return times


def test_a_piece_holds_the_frames_as_sent_vp8_and_opus_not_decoded(tmp_path):
    source = camera(tmp_path / "camera.webm", 4, fps=5)
    frames = encoded_frames(source, voice(tmp_path / "voice.ogg", 4, 440))
    writer = write_piece(tmp_path / "piece.webm", frames)
    with av.open(str(writer.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("vp8", "opus")
        assert (video.codec_context.width, video.codec_context.height) == (320, 240)
        assert 3.7 <= float(container.duration or 0) / av.time_base <= 4.3
        copied = [bytes(p) for p in container.demux(video) if p.size]
    assert copied == [frame.data for kind, frame in frames if kind == "video"], "the camera's frames, byte for byte"
    times = stream_times(writer.path)
    assert len(times["audio"]) >= 195  # 20 ms frames for 4 s (bench.media.voice's default)
    assert writer.size == writer.path.stat().st_size > 0


def test_a_microphone_in_60_ms_frames_with_dtx_gaps_keeps_its_timeline(tmp_path):
    """As Chromium sends the exam's microphone (rtc.opus): 60-ms frames, and in silence only DTX's few."""
    mic = microphone(6, 440, sounding_s=2)
    audio = [("audio", JitterFrame(data, FIRST_TICKS + at)) for at, data in mic.packets]
    writer = write_piece(tmp_path / "piece.webm", in_time_order(encoded_frames(camera(tmp_path / "c.webm", 6)), audio))
    sent = [at / 48_000 for at, _ in mic.packets]
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert max(gaps) == pytest.approx((DTX_CYCLE_FRAMES - 1) * 0.06)  # the input has DTX's gaps ...
    times = stream_times(writer.path)
    assert times["audio"] == pytest.approx(sent, abs=0.001)  # ... and each frame is laid at its own time (ms)
    with av.open(str(writer.path)) as container:
        assert 5.9 <= float(container.duration or 0) / av.time_base <= 6.1
        decoded = [frame.samples for frame in container.decode(audio=0)]
    assert set(decoded[1:]) == {2880}  # 60-ms frames (the first lacks the encoder's pre-skip)
    peaks = waveform(writer.path)
    assert len(peaks) == int(sent[-1] / 0.1) + 1  # to the last frame's step, the gaps' steps silent
    assert min(peaks[1:19]) > 0.1  # the tone for its 2 s
    assert max(peaks[22:]) < 0.01  # then silence, with the gaps where nothing was sent
    joined = tmp_path / "attempt.webm"
    assert join([Piece(writer.path, 0.0)], joined) == pytest.approx(6.0, abs=0.1)
    assert stream_times(joined)["audio"] == pytest.approx(sent, abs=0.001)


def test_a_piece_starts_at_the_first_keyframe_and_ignores_frames_going_back_in_time(tmp_path):
    frames = encoded_frames(camera(tmp_path / "camera.webm", 2, fps=5))
    first, *rest = [frame for _, frame in frames]
    assert vp8_size(first.data) == (320, 240)
    delta, late = rest[0], rest[2]
    writer = PieceWriter(tmp_path / "piece.webm")
    writer.video(delta)  # not a keyframe: nothing to start from
    assert not writer.path.exists()
    for frame in [first, *rest[:4], late, *rest[4:]]:  # a late duplicate in the middle
        writer.video(frame)
    writer.close()
    assert len(stream_times(writer.path)["video"]) == len(frames)
    never = PieceWriter(tmp_path / "none.webm")
    never.close()
    assert (never.path.exists(), never.size) == (False, 0)


KILLED_WRITER = """
import os, sys, time
sys.path.insert(0, {root!r})
from tests.exams.test_recording_pieces import MediaTime, PieceWriter, encoded_frames, feed
from pathlib import Path
clock = MediaTime()
writer = PieceWriter(Path({target!r}), clock)
feed(writer, clock, encoded_frames(Path({video!r}), Path({audio!r})))
print("written", flush=True)
time.sleep(600)
"""


def test_a_killed_writer_leaves_a_piece_readable_up_to_its_last_couple_of_seconds(tmp_path):
    video, audio = camera(tmp_path / "camera.webm", 10, fps=5), voice(tmp_path / "voice.ogg", 10, 440)
    target = tmp_path / "piece.webm"
    script = KILLED_WRITER.format(root=str(REPO_ROOT), video=str(video), audio=str(audio), target=str(target))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "written"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    times = stream_times(target)
    assert 7.5 <= times["video"][-1] <= 10.0, times["video"][-1]  # only the cluster being written is lost
    assert times["audio"]
    assert times["audio"][-1] >= 7.5
    with av.open(str(target)) as container:  # and it decodes
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == len(times["video"])


def test_pieces_join_on_one_timeline_with_both_streams_copied_and_the_waveform_shows_the_voice(tmp_path):
    """A piece of 3 s at 0 s (camera + voice), the camera lost, a piece of 2 s at 5 s (camera only)."""
    first = write_piece(
        tmp_path / "a.webm",
        encoded_frames(camera(tmp_path / "c1.webm", 3, fps=5), voice(tmp_path / "v1.ogg", 3, 440)),
    )
    second = write_piece(tmp_path / "b.webm", encoded_frames(camera(tmp_path / "c2.webm", 2, fps=5)))
    target = tmp_path / "attempt.webm"
    length = join([Piece(second.path, 5.0), Piece(first.path, 0.0)], target)
    assert 6.8 <= length <= 7.2
    times = stream_times(target)
    assert len(times["video"]) == 25
    assert times["video"][14] < 3.0 <= 5.0 <= times["video"][15] < 5.1  # the gap where the camera was lost
    assert 2.8 <= times["audio"][-1] < 3.0
    peaks = waveform(target)
    assert 28 <= len(peaks) <= 31  # per 100 ms, as far as there is sound
    assert min(peaks[2:28]) > 0.1  # the tone (a quarter of full scale)
    assert all(0.0 <= level <= 1.0 for level in peaks)
    assert waveform(second.path) == []


def test_the_waveform_decodes_each_piece_afresh_so_a_cut_leaves_no_spike(tmp_path):
    """A piece cut mid-sound (a media worker killed while the student spoke), then the next peer's piece in silence:
    one decoder across the join hears the cut stream's state in the new stream's first frame (a spike in the
    waveform where the attempt resumed); a decoder per piece hears the silence that was there."""
    sounding = encoded_frames(camera(tmp_path / "c1.webm", 6, fps=5), voice(tmp_path / "v1.ogg", 6, 440, level=16000))
    cut = [(kind, frame) for kind, frame in sounding if frame.timestamp < 3 * CLOCK_RATES[kind]]  # mid-tone
    first = write_piece(tmp_path / "a.webm", cut)
    second = write_piece(
        tmp_path / "b.webm",
        encoded_frames(camera(tmp_path / "c2.webm", 2, fps=5), voice(tmp_path / "v2.ogg", 2, 440, level=0)),
    )
    pieces = [Piece(first.path, 0.0), Piece(second.path, 3.5)]
    target = tmp_path / "attempt.webm"
    join(pieces, target)
    peaks = joined_waveform(pieces)
    assert min(peaks[2:28]) > 0.3  # the tone, half of full scale
    assert peaks[30:35] == [0.0] * 5  # nothing was received between the pieces
    assert max(peaks[35:]) < 0.01  # the second piece is silent from its first frame on (one decoder: 0.49 there)
