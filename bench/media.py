"""Media helpers shared by the benchmarks and tests: testdata clips encoded as a browser sends them, synthetic
camera (VP8 WebM), voice (Opus) files and a microphone's packets as Chromium sends them, process CPU time."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from rtc.opus import FRAME_MS

if TYPE_CHECKING:
    import numpy as np

ENCODER_OPTIONS = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}  # like a browser's live encoder
OPUS_RATE = 48_000
# Chromium with DTX in silence sends the first 2 of every 7 frames of 60 ms (~4.8 packets/s; measured in
# tests/exams/test_opus_answer.py: two frames, then 360 ms without a packet).
DTX_CYCLE_FRAMES, DTX_SENT_FRAMES = 7, 2


def clip_frames(path: Path, width: int, height: int, fps: int) -> list:
    """The clip's frames (BGR) resized to the grade and resampled to ``fps`` in time (the source frame
    nearest to each output frame's moment, so a clip lasts as long at any rate)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    source_fps = capture.get(cv2.CAP_PROP_FPS) or 15.0
    source = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        source.append(frame)
    step = max(1.0, source_fps / fps)
    picked = [source[round(k * step)] for k in range(int((len(source) - 1) / step) + 1)]
    return [cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA) for frame in picked]


def encode_clip(
    path: Path, width: int, height: int, fps: int, bitrate: int, start: float = 0.0, gop: int | None = None
) -> list[bytes]:
    """The clip as VP8 packets at this grade, looping from ``start`` (a fraction of the clip) with a keyframe at
    the start of the loop and then every ``gop`` frames (none else by default)."""
    import av

    frames = clip_frames(path, width, height, fps)
    first = int(start * len(frames)) % len(frames)
    frames = frames[first:] + frames[:first]
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base, codec.framerate = Fraction(1, fps), Fraction(fps, 1)
    codec.bit_rate, codec.gop_size = bitrate, gop or len(frames)
    codec.options = ENCODER_OPTIONS
    packets = []
    for number, frame in enumerate(frames):
        picture = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(format="yuv420p")
        picture.pts = number
        packets += [bytes(p) for p in codec.encode(picture)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


def write_clip(path: Path, destination: Path, width: int, height: int, fps: int, bitrate: int) -> Path:
    """The clip re-encoded as a WebM (VP8) file at this grade: what the server decodes, for file readers."""
    import av

    with av.open(str(destination), "w") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = width, height, "yuv420p", bitrate
        stream.codec_context.options = ENCODER_OPTIONS
        for frame in clip_frames(path, width, height, fps):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return destination


def camera(path: Path, seconds: float, fps: int = 15, width: int = 320, height: int = 240) -> Path:
    """A synthetic camera: a WebM of VP8 frames whose shade changes every frame (libvpx defaults, ~300 kbit/s)."""
    import av
    import numpy as np

    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = width, height, "yuv420p", 300_000
        for index in range(int(seconds * fps)):
            shade = np.full((height, width, 3), index * 9 % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(shade, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def voice(
    path: Path, seconds: float, hz: float, level: int = 8000, frame_ms: int = 20, sounding_s: float | None = None
) -> Path:
    """A synthetic voice: a tone of ``hz`` as mono 48 kHz Opus (Ogg) in ``frame_ms`` frames at 32 kbit/s: 20 ms is
    what browsers send a microphone by default, 60 ms what the exam's answer asks for (:mod:`rtc.opus`). With
    ``sounding_s`` the tone stops after that many seconds and the rest is digital silence."""
    import av
    import numpy as np

    frame = OPUS_RATE * frame_ms // 1000
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = 32_000
        stream.codec_context.options = {"frame_duration": str(frame_ms)}
        samples = (level * np.sin(2 * np.pi * hz * np.arange(int(seconds * OPUS_RATE)) / OPUS_RATE)).astype(np.int16)
        if sounding_s is not None:
            samples[round(sounding_s * OPUS_RATE) :] = 0
        for at in range(0, len(samples), frame):
            audio = av.AudioFrame.from_ndarray(samples[at : at + frame].reshape(1, -1), format="s16", layout="mono")
            audio.sample_rate, audio.pts, audio.time_base = OPUS_RATE, at, Fraction(1, OPUS_RATE)
            for packet in stream.encode(audio):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def opus_packets(pcm: np.ndarray, frame_ms: int = 60) -> list[bytes]:
    """48-kHz mono int16 PCM as a 32 kbit/s microphone's Opus packets, one per ``frame_ms`` (a trailing part frame is
    left out), in order: what a receiver's tap sees of a browser's microphone without DTX."""
    import av

    frame = OPUS_RATE * frame_ms // 1000
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format, codec.bit_rate = OPUS_RATE, "mono", "s16", 32_000
    codec.time_base, codec.options = Fraction(1, OPUS_RATE), {"frame_duration": str(frame_ms)}
    packets = []
    for at in range(0, len(pcm) - frame + 1, frame):
        audio = av.AudioFrame.from_ndarray(pcm[at : at + frame].reshape(1, -1), format="s16", layout="mono")
        audio.sample_rate, audio.pts, audio.time_base = OPUS_RATE, at, Fraction(1, OPUS_RATE)
        packets += [bytes(p) for p in codec.encode(audio)]
    return packets + [bytes(p) for p in codec.encode(None)]


@dataclass(frozen=True)
class Microphone:
    """A microphone's Opus packets as Chromium sends them to the exam, for one loop of a clip: 60-ms frames
    (:data:`rtc.opus.FRAME_MS`) while there is sound, and in silence only what DTX sends (:func:`microphone`)."""

    packets: list[tuple[int, bytes]]  # (RTP ticks at 48 kHz from the loop's start, packet), the packets sent
    loop_ticks: int  # the loop's length: where its repetition starts

    def looped(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """The loop played over and over from ``start`` ticks into it, with the ticks since then."""
        for loop in itertools.count():
            for at, data in self.packets:
                if (tick := loop * self.loop_ticks + at - start) >= 0:
                    yield tick, data

    def until(self, seconds: float) -> list[tuple[int, bytes]]:
        """The packets sent in the first ``seconds``."""
        end = round(seconds * OPUS_RATE)
        return list(itertools.takewhile(lambda item: item[0] < end, self.looped()))

    @property
    def per_second(self) -> float:
        return len(self.packets) / (self.loop_ticks / OPUS_RATE)


def microphone(seconds: float, hz: float, sounding_s: float) -> Microphone:
    """A loop of ``seconds``: a tone of ``hz`` for its first ``sounding_s`` seconds, then silence, encoded in 60-ms
    frames of which Chromium would send, in the silence, only :data:`DTX_SENT_FRAMES` of every
    :data:`DTX_CYCLE_FRAMES` (libopus's DTX, which this FFmpeg's encoder does not offer, is imitated by leaving the
    others out: the receiver sees the same gaps in the RTP timestamps)."""
    import av

    frame = OPUS_RATE * FRAME_MS // 1000
    with tempfile.TemporaryDirectory() as folder:
        path = voice(Path(folder) / "voice.ogg", seconds, hz, frame_ms=FRAME_MS, sounding_s=sounding_s)
        with av.open(str(path)) as ogg:
            encoded = [(p.pts, bytes(p)) for p in ogg.demux(audio=0) if p.size and p.pts is not None]
    first = encoded[0][0]  # libopus's pre-skip: the first packet's pts is negative
    silence = round(sounding_s * OPUS_RATE)

    def sent(at: int) -> bool:
        quiet_frames = (at - silence) // frame  # whole frames since the sound stopped (negative: still sounding)
        return quiet_frames < 0 or quiet_frames % DTX_CYCLE_FRAMES < DTX_SENT_FRAMES

    packets = [(pts - first, data) for pts, data in encoded if sent(pts - first)]
    return Microphone(packets, len(encoded) * frame)


def process_tree(pid: int) -> list[int]:
    """The process and its live descendants (e.g. daphne and its analyst processes)."""
    tree, index = [pid], 0
    while index < len(tree):
        for task in Path(f"/proc/{tree[index]}/task").glob("*/children"):
            tree += [int(child) for child in task.read_text().split()]
        index += 1
    return tree


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
