"""Media helpers shared by the load benchmarks: pre-encoded VP8 clips and process CPU time."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path


def encode_clip(path: Path, width: int, height: int, fps: int, bitrate: int) -> list[bytes]:
    """The clip as VP8 packets at this grade, one keyframe at the start of the loop."""
    import av
    import cv2

    capture = cv2.VideoCapture(str(path))
    source_fps = capture.get(cv2.CAP_PROP_FPS) or 15.0
    frames, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % max(1, round(source_fps / fps)) == 0 or fps >= source_fps:
            frames.append(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA))
        index += 1
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base, codec.framerate = Fraction(1, fps), Fraction(fps, 1)
    codec.bit_rate, codec.gop_size = bitrate, len(frames)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    packets = []
    for number, frame in enumerate(frames):
        picture = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(format="yuv420p")
        picture.pts = number
        packets += [bytes(p) for p in codec.encode(picture)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
