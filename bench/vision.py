"""Speed of the proctoring vision pipeline: CPU per stage, frames and students per core.

    .venv/bin/python bench/vision.py [--passes 5] [--testdata DIR]

One process, OpenCV limited to one thread (``cv2.setNumThreads(1)``), CPU time measured with
``time.process_time`` (all threads of the process, so MediaPipe's own worker threads count).
Input: every .mp4 under ../shared/testdata/video (scenario clips and plain clips, 320x240 @ 15 fps,
with their reference photos), decoded with OpenCV/FFmpeg frame by frame as a live stream would be.

Compared in the same run:

* **baseline** - the naive pipeline: every frame, full resolution, every model on every frame
  (:class:`proctor.vision.analyzer.FrameAnalyzer` with scale 1);
* **default policy** - :class:`SessionAnalyzer` with ``Policy()`` (2 analysed frames/s, detection
  on the shrunk frame, identity and landmarker only when scheduled).

"Students per core" = 1000 / CPU ms per student-second, with decoding of every received frame
included (at the clips' 15 fps, and at 5 fps, the rate the live ingest sends). Each clip is looped
into a 60 s session; the plain single-person clips stand for a typical student (the headline), the
scenario clips, looped, for a worst case with a face-count change every 3 s. The last line is
``RESULT students_per_core=<default, plain clips, decode at 15 fps> ms_per_frame=<CPU ms per
analysed frame, its share of decoding included>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proctor.episodes import EpisodeEngine  # noqa: E402
from proctor.policy import DEFAULT_POLICY  # noqa: E402
from proctor.vision import analyzer, identity, landmarks, vetting  # noqa: E402
from proctor.vision.frames import VideoReader, load_image  # noqa: E402

SEND_RATES = (15.0, 5.0)


@dataclass
class Meter:
    """CPU seconds and calls per stage, collected by wrapping the stage functions."""

    seconds: Counter = field(default_factory=Counter)
    calls: Counter = field(default_factory=Counter)

    def wrap(self, owner: object, name: str, stage: str) -> None:
        original: Callable = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.process_time() - started
                self.calls[stage] += 1

        setattr(owner, name, timed)

    def add(self, stage: str, seconds: float, calls: int = 1) -> None:
        self.seconds[stage] += seconds
        self.calls[stage] += calls


@dataclass
class Clip:
    path: Path
    reference: object  # embedding or None


def clips(testdata: Path) -> list[Clip]:
    found = []
    for video in sorted((testdata / "video").glob("*/*.mp4")):
        photo = video.parent / "reference.jpg"
        if not photo.exists() and video.stem == "d10_gaze_10s":
            photo = testdata / "video" / "other_person" / "reference.jpg"  # same person (see accuracy.md)
        if photo.exists():
            reference = identity.photo_embedding(load_image(photo, max_side=1280))
        else:  # no photo of this person: the first frame is the reference, as if taken at the exam start
            with VideoReader(video) as reader:
                reference = identity.photo_embedding(reader.retrieve())
        found.append(Clip(video, reference))
    return found


def run_default(clip: Clip, meter: Meter, session_seconds: float) -> tuple[float, int, int]:
    """One exam-like session through the default pipeline: the clip looped (as Chromium loops a
    fake camera file) with continuous timestamps for at least ``session_seconds``.
    Returns (video seconds, frames, analysed frames)."""
    session = analyzer.SessionAnalyzer(clip.reference, DEFAULT_POLICY)
    offset, frames = 0.0, 0
    while offset < session_seconds:
        with VideoReader(clip.path) as video:
            while True:
                started = time.process_time()
                more = video.grab()
                meter.add("decode", time.process_time() - started)
                if not more:
                    break
                frames += 1
                t = offset + video.t
                if session.due(t):
                    started = time.process_time()
                    frame = video.retrieve()
                    meter.add("convert", time.process_time() - started)
                    session.analyze(frame, t)
                else:
                    session.skip(t)
            offset += video.duration
    session.finish(offset)
    return offset, frames, session.counts["analysed"]


def run_baseline(clip: Clip, meter: Meter) -> tuple[float, int]:
    """The naive pipeline: every frame converted and fully analysed at full resolution."""
    frame_analyzer = analyzer.FrameAnalyzer(clip.reference, DEFAULT_POLICY, scale=1.0)
    engine = EpisodeEngine(DEFAULT_POLICY)
    frames = 0
    with VideoReader(clip.path) as video:
        while True:
            started = time.process_time()
            more = video.grab()
            frame = video.retrieve() if more else None
            meter.add("decode", time.process_time() - started)
            if not more:
                break
            started = time.process_time()
            engine.observe(frame_analyzer.analyze(frame, video.t, frames))
            meter.add("analysis", time.process_time() - started)
            frames += 1
        engine.finish(video.duration)
        return video.duration, frames


def instrument(meter: Meter) -> None:
    meter.wrap(analyzer, "detect_faces", "detect (YuNet)")
    meter.wrap(vetting, "vet", "human check")
    meter.wrap(identity, "embed", "identity (SFace)")
    meter.wrap(landmarks, "head_pose", "landmarker")
    meter.wrap(analyzer.EpisodeEngine, "observe", "engine")


@dataclass
class Totals:
    """Default-pipeline measurements of one group of clips."""

    meter: Meter = field(default_factory=Meter)
    video_seconds: float = 0.0
    frames: int = 0
    analysed: int = 0
    per_pass: list[float] = field(default_factory=list)  # CPU ms per student-second, whole pipeline

    @property
    def decode_ms(self) -> float:
        return self.meter.seconds["decode"] * 1000 / self.frames

    @property
    def analysis_ms(self) -> float:
        """CPU ms per analysed frame, decode excluded."""
        return sum(self.meter.seconds[s] for s in STAGES) * 1000 / self.analysed

    @property
    def analysed_rate(self) -> float:
        return self.analysed / self.video_seconds

    def per_student(self, stream_fps: float) -> float:
        """CPU ms per student-second with every frame of a stream at ``stream_fps`` decoded."""
        return self.analysed_rate * self.analysis_ms + stream_fps * self.decode_ms


STAGES = ["convert", "detect (YuNet)", "human check", "identity (SFace)", "landmarker", "engine"]
TYPICAL = "plain single-person clips"  # what most of an exam looks like: the headline figure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testdata", type=Path, default=REPO.parent / "shared" / "testdata")
    parser.add_argument("--passes", type=int, default=3, help="passes over all clips for the default pipeline")
    parser.add_argument("--session", type=float, default=60.0, help="seconds of looped video per clip and pass")
    args = parser.parse_args()
    if not (args.testdata / "video").is_dir():
        print(f"bench/vision.py: error: test data folder {args.testdata} is missing", file=sys.stderr)
        return 1
    cv2.setNumThreads(1)
    landmarks.preload(quiet=True)
    all_clips = clips(args.testdata)
    load_before = os.getloadavg()

    baseline = Meter()
    base_seconds = base_frames = 0
    for clip in all_clips:
        seconds, frames = run_baseline(clip, baseline)
        base_seconds, base_frames = base_seconds + seconds, base_frames + frames

    groups = {TYPICAL: Totals(), "scenario clips (events every 3 s)": Totals()}
    instrument(groups_meter := Meter())
    for _ in range(args.passes):
        for name, totals in groups.items():
            members = [c for c in all_clips if (c.path.parent.name == "clips") == name.startswith("plain")]
            started, seconds = time.process_time(), 0.0
            for clip in members:
                before = Counter(groups_meter.seconds), Counter(groups_meter.calls)
                video_seconds, frames, analysed = run_default(clip, totals.meter, args.session)
                for stage in STAGES:  # move this clip's stage times into its group
                    totals.meter.add(
                        stage,
                        groups_meter.seconds[stage] - before[0][stage],
                        groups_meter.calls[stage] - before[1][stage],
                    )
                totals.video_seconds += video_seconds
                totals.frames += frames
                totals.analysed += analysed
                seconds += video_seconds
            totals.per_pass.append((time.process_time() - started) * 1000 / seconds)
    load_after = os.getloadavg()
    everything = Totals()
    for totals in groups.values():
        for stage, value in totals.meter.seconds.items():
            everything.meter.add(stage, value, totals.meter.calls[stage])
        everything.video_seconds += totals.video_seconds
        everything.frames += totals.frames
        everything.analysed += totals.analysed
        everything.per_pass += totals.per_pass

    print(f"vision pipeline, {platform.machine()}, {os.cpu_count()} cores, OpenCV on one thread, CPU time")
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} (other work inflates the figures)")
    print(
        f"{len(all_clips)} clips, each looped to a {args.session:.0f} s session, {args.passes} passes; "
        f"baseline: each clip once"
    )
    for name, totals in (*groups.items(), ("all clips", everything)):
        print()
        print(f"{name}: {totals.video_seconds:.0f} s of video, {totals.analysed} analysed frames")
        print(f"  {'stage (default policy)':<24} {'calls':>7} {'ms/call':>8} {'ms per analysed frame':>22}")
        meter = totals.meter
        print(
            f"  {'decode (every frame)':<24} {totals.frames:>7} {totals.decode_ms:>8.2f} "
            f"{meter.seconds['decode'] * 1000 / totals.analysed:>22.2f}"
        )
        for stage in STAGES:
            calls = meter.calls[stage]
            per_call = meter.seconds[stage] * 1000 / calls if calls else 0.0
            print(f"  {stage:<24} {calls:>7} {per_call:>8.2f} {meter.seconds[stage] * 1000 / totals.analysed:>22.2f}")
        print(f"  {'total, decode excluded':<24} {'':>7} {'':>8} {totals.analysis_ms:>22.2f}")
        included = totals.analysis_ms + meter.seconds["decode"] * 1000 / totals.analysed
        print(f"  {'total, decode included':<24} {'':>7} {'':>8} {included:>22.2f}")

    print()
    print(f"{'pipeline':<58} {'analysed/s':>10} {'CPU ms/student-s':>17} {'frames/s/core':>14} {'students/core':>14}")
    base_decode = baseline.seconds["decode"] * 1000 / base_frames
    base_analysis = baseline.seconds["analysis"] * 1000 / base_frames
    base_per_student = base_frames / base_seconds * (base_analysis + base_decode)
    print(
        f"{'baseline: every frame, full res, all models (15 fps)':<58} {base_frames / base_seconds:>10.2f} "
        f"{base_per_student:>17.2f} {1000 / (base_analysis + base_decode):>14.1f} {1000 / base_per_student:>14.1f}"
    )
    for name, totals in (*groups.items(), ("all clips", everything)):
        for stream_fps in SEND_RATES:
            per_student = totals.per_student(stream_fps)
            frames_per_core = 1000 / (totals.analysis_ms + totals.decode_ms * stream_fps / totals.analysed_rate)
            label = f"default, {name}, stream {stream_fps:g} fps"
            print(
                f"{label:<58} {totals.analysed_rate:>10.2f} {per_student:>17.2f} {frames_per_core:>14.1f} "
                f"{1000 / per_student:>14.1f}"
            )
        label = f"default, {name}, decode excluded"
        print(
            f"{label:<58} {totals.analysed_rate:>10.2f} {totals.analysed_rate * totals.analysis_ms:>17.2f} "
            f"{1000 / totals.analysis_ms:>14.1f} {1000 / (totals.analysed_rate * totals.analysis_ms):>14.1f}"
        )
    median = statistics.median(everything.per_pass)
    print(
        f"\nwhole default pipeline timed per pass and group (decode at 15 fps): median {median:.2f} CPU ms per "
        f"student-second, range {min(everything.per_pass):.2f}-{max(everything.per_pass):.2f}"
    )
    typical = groups[TYPICAL]
    headline = 1000 / typical.per_student(SEND_RATES[0])
    print(f"speed-up over the baseline ({TYPICAL}): {headline / (1000 / base_per_student):.0f}x")
    ms_per_frame = typical.per_student(SEND_RATES[0]) / typical.analysed_rate
    print(f"RESULT students_per_core={headline:.1f} ms_per_frame={ms_per_frame:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
