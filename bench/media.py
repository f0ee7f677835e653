"""Media helpers shared by the benchmarks and tests: testdata clips encoded as a browser sends them, synthetic
camera (VP8 WebM) and voice (Opus) files, process CPU time."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

ENCODER_OPTIONS = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}  # like a browser's live encoder


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


def voice(path: Path, seconds: float, hz: float, level: int = 8000) -> Path:
    """A synthetic voice: a tone of ``hz`` as mono 48 kHz Opus (Ogg) in 20 ms frames at 32 kbit/s, as browsers send
    a microphone by default."""
    import av
    import numpy as np

    rate = 48_000
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=rate, layout="mono")
        stream.bit_rate = 32_000
        samples = (level * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.int16)
        for at in range(0, len(samples), 960):
            frame = av.AudioFrame.from_ndarray(samples[at : at + 960].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


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
