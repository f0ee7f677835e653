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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.media import camera, voice
from rtc.recording_mux import Piece, combine


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
        voices = [
            Piece(voice(work / f"voice{n}.opus", seconds, 200 + 20 * n, level=6000), 0.0) for n in range(max(counts))
        ]
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
