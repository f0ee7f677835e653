"""The live pipeline on real frames and models, without a network: identity check, episodes, camera_lost
when frames stop while the socket stays open, and the scheduler dropping (never queueing) frames."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import av
import cv2

from proctor.live.pipeline import LivePipeline, StreamResult
from proctor.policy import Policy
from proctor.quality import assess_file
from rtc.scheduler import AnalysisScheduler
from tests.exams.helpers import scenario
from tests.support.waiting import wait_for


def frames_of(clip_mp4: str, every: int = 3) -> list[av.VideoFrame]:
    capture, frames, index = cv2.VideoCapture(clip_mp4), [], 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            return frames
        if index % every == 0:
            frames.append(av.VideoFrame.from_ndarray(bgr, format="bgr24"))
        index += 1


async def offer_until(pipeline: LivePipeline, session: int, frames: list, done: Callable[[], bool], what: str) -> None:
    """Offer ``frames`` at 5 fps, round and round, until ``done()``: however slow analysis is on a busy machine."""
    deadline = time.monotonic() + 30
    for frame in itertools.cycle(frames):
        if done():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within 30 s")
        pipeline.offer(session, frame)
        await asyncio.sleep(0.2)


async def test_identity_check_then_camera_lost_when_frames_stop(settings, caplog):
    settings.PROCTOR_STATS_SECONDS = 0.5
    caplog.set_level("INFO", logger="proctor.live.pipeline")
    clip, reference = scenario("absent_return")
    frames = frames_of(str(clip).replace(".y4m", ".mp4"))
    results: list[StreamResult] = []

    async def deliver(result: StreamResult) -> None:
        results.append(result)

    policy = Policy.from_dict({"rules": {"camera_lost": {"min_duration_s": 2.0}}})
    pipeline = LivePipeline(workers=1)
    try:
        await run_stream(pipeline, deliver, policy, reference, frames, results)
    finally:
        pipeline.stop()
    stats = [r.getMessage() for r in caplog.records if r.getMessage().startswith("proctor-stats ")]
    assert stats, "the stats line for operators and the benchmark"


async def run_stream(pipeline, deliver, policy, reference, frames, results) -> None:
    pipeline.register(7, deliver, policy, None)
    pipeline.check_identity(7, assess_file(reference).embedding)

    def verdicts() -> list:
        return [r.identity for r in results if r.identity is not None]

    def lost() -> list[str]:
        return [e.action for r in results for e, _ in r.events if e.episode.kind == "camera_lost"]

    # the first 2.4 s of the clip at 5 fps: the enrolled person
    await offer_until(pipeline, 7, frames[:12], lambda: bool(verdicts()), "identity verdict")
    first = verdicts()[0]
    assert first[0] is True
    assert first[1] >= policy.identity_threshold

    pipeline.monitor(7, True)
    for frame in frames[:5]:
        pipeline.offer(7, frame)
        await asyncio.sleep(0.2)
    assert lost() == []  # frames flowing (analysed or not) are never a lost camera
    await wait_for(lost, interval=0.1, what="camera_lost")  # frames stopped, the socket did not: the 1-s ticker notices
    assert lost() == ["opened"]
    pipeline.offer(7, frames[6])  # the camera is back
    await wait_for(lambda: len(lost()) >= 2, interval=0.1, what="camera_lost closed")
    assert lost()[:2] == ["opened", "closed"]
    assert any(r.thumbnail and r.thumbnail.startswith("data:image/jpeg;base64,") for r in results)


def test_scheduler_keeps_only_the_newest_frame_and_paces_each_stream():
    seen: list[tuple[str, int]] = []

    def slow(key, frame) -> None:
        seen.append((key, frame))
        time.sleep(0.05)

    scheduler = AnalysisScheduler(slow, workers=1, rate=4.0)
    for key in ("a", "b"):
        scheduler.add(key)
    started = time.monotonic()
    for number in range(60):  # 60 fps per stream for 1 s: far more than 4/s are offered
        scheduler.offer("a", number)
        scheduler.offer("b", number)
        time.sleep(1 / 60)
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    scheduler.stop()
    stats = scheduler.stats()
    per_stream = {key: [f for k, f in seen if k == key] for key in ("a", "b")}
    for key, frames in per_stream.items():
        assert 2 <= len(frames) <= 4 * elapsed + 2, (key, frames)  # paced at ~4/s, not every frame
        assert frames == sorted(frames)  # never an older frame after a newer one
    assert stats["offered"] == 120
    assert stats["dropped"] >= 120 - len(seen) - 2  # the rest were dropped, not queued


def test_scheduler_serves_every_turn_on_time_though_frames_do_not_wake_it():
    """Frames arrive 2.5 times as often as they are due and only wake a worker that would oversleep a turn:
    no turn may be missed or served late because of that."""
    served: list[str] = []
    scheduler = AnalysisScheduler(lambda key, frame: served.append(key), workers=2, rate=2.0)
    streams = [f"s{i}" for i in range(30)]
    for key in streams:
        scheduler.add(key)
    started = time.monotonic()
    for tick in range(15):  # 3 s at 5 frames/s per stream, the streams' frames spread over each 0.2 s
        for key in streams:
            scheduler.offer(key, tick)
            time.sleep(0.2 / len(streams))
    elapsed = time.monotonic() - started
    scheduler.stop()
    # Every turn served: 2/s each, or each frame if a busy machine stretched the ticks past the turns. A worker
    # that missed its wake-ups would sleep its full second and serve about 1/s; the bound leaves a wide margin
    # (a quarter of the turns) for a busy machine.
    turns = min(15, 2.0 * elapsed)
    for key in streams:
        assert served.count(key) >= 0.75 * turns, (key, served.count(key), elapsed)


async def test_a_dead_analyst_is_replaced_and_monitoring_goes_on(caplog):
    """An analyst process that dies (killed here) is restarted with its streams: the episode engine of a running
    exam starts afresh and still finds the second person who sits down after the crash."""
    caplog.set_level("ERROR", logger="proctor.live.pipeline")
    clip, reference = scenario("second_person")  # 0-3 s one face, 3-6 s two, 6-9 s one
    frames = frames_of(str(clip).replace(".y4m", ".mp4"))  # 5 fps
    results: list[StreamResult] = []

    async def deliver(result: StreamResult) -> None:
        results.append(result)

    pipeline = LivePipeline(workers=1)
    try:
        pipeline.register(9, deliver, Policy(), assess_file(reference).embedding)
        pipeline.monitor(9, True)
        first = pipeline.analysts[0].process
        for frame in frames[:3]:
            pipeline.offer(9, frame)
            await asyncio.sleep(0.2)
        first.kill()

        def found_second_person() -> bool:
            return any(
                e.action == "opened" and e.episode.kind == "multiple_faces" for r in results for e, _ in r.events
            )

        # the clip loops: the second person sits down again, until the restarted analyst has found them
        await offer_until(pipeline, 9, frames[3:], found_second_person, "multiple_faces")
    finally:
        pipeline.stop()
    assert "analyst 0 died" in caplog.text
    assert pipeline.analysts[0].process.pid != first.pid
