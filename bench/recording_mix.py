"""Lesson recording: the CPU the conversion spends combining a lesson's streams (rtc/recording_mux.py).

One command, no servers::

    .venv/bin/python bench/recording_mix.py [--minutes 5] [--voices 1,10,30]

It synthesises what ``janus-pp-rec`` hands the combiner — a VP8 camera (320×240 @ 15 fps, libvpx) and Opus
voices (mono 48 kHz, a different tone each) all ``--minutes`` long — then, for each voice count, times
``combine`` (camera packets copied, voices decoded, mixed and encoded once) in CPU seconds of this process,
and reports CPU seconds per lesson-minute. ``janus-pp-rec`` itself is not included (≈ 0.02 s of CPU per
stream-minute, docs/lessons.md), nor starting Django (≈ 2 s per conversion).

The last line is ``RESULT minutes=<int> voices=<int> cpu_seconds=<float> per_lesson_minute=<float>`` for the
largest voice count.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtc.recording_mux import Piece, combine

RATE = 48_000


def camera(path: Path, seconds: int, fps: int = 15) -> Path:
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.bit_rate = 300_000
        for index in range(seconds * fps):
            shade = np.full((240, 320, 3), index % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(shade, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def voice(path: Path, seconds: int, hz: float) -> Path:
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=RATE, layout="mono")
        block = (6000 * np.sin(2 * np.pi * hz * np.arange(RATE) / RATE)).astype(np.int16)
        for second in range(seconds):
            for at in range(0, RATE, 960):
                frame = av.AudioFrame.from_ndarray(block[at : at + 960].reshape(1, -1), format="s16", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = RATE, second * RATE + at, Fraction(1, RATE)
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--voices", default="1,10,30")
    args = parser.parse_args()
    counts = [int(n) for n in args.voices.split(",")]
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        video = [Piece(camera(work / "camera.webm", seconds), 0.0)]
        voices = [Piece(voice(work / f"voice{n}.opus", seconds, 200 + 20 * n), 0.0) for n in range(max(counts))]
        for count in counts:
            started = time.process_time()
            length = combine(video, voices[:count], work / "lesson.webm")
            cpu = time.process_time() - started
            size = (work / "lesson.webm").stat().st_size
            print(
                f"voices={count:3d} length={length:.0f}s cpu={cpu:.2f}s per_lesson_minute={cpu / args.minutes:.2f}s "
                f"size={size / 1e6:.1f}MB"
            )
    print(
        f"RESULT minutes={args.minutes} voices={counts[-1]} cpu_seconds={cpu:.2f} "
        f"per_lesson_minute={cpu / args.minutes:.3f}"
    )


if __name__ == "__main__":
    main()
