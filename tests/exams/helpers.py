"""Helpers shared by the exam tests: scenario files, the fake microphone, starting an exam and sharing the screen in
the browser, waiting for dashboard frames, killing a media worker, the review page's player."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)

from bench.audio_corpus import TUNING_UTTERANCES, require_espeak, resample, scene, write_wav
from tests.exams import media_setups
from tests.support.browser import login
from tests.support.client import logged_in, receive_json
from tests.support.paths import testdata
from tests.support.waiting import wait_for

MICROPHONE_LOOP_SECONDS = 14.0  # Chromium plays the file in a loop: a sentence at 4 s, then quiet
LEAD = 3  # review_player.js LEAD_SECONDS: an item plays from this long before its flag
CHOSEN_ITEM = "() => [...document.querySelectorAll('#timeline .episode')].indexOf(document.activeElement)"


def scenario(name: str) -> tuple[Path, Path]:
    """A scenario's fake-webcam clip and its reference photo."""
    return testdata(f"video/{name}/{name}.y4m"), testdata(f"video/{name}/reference.jpg")


def microphone_file(directory: Path) -> Path:
    """A Russian sentence (espeak-ng, ~5 s) over fan noise, as a 48-kHz WAV for --use-file-for-fake-audio-capture."""
    require_espeak()
    sound = scene("exam", "fan", ((4.0, TUNING_UTTERANCES[0]),), seconds=MICROPHONE_LOOP_SECONDS)
    return write_wav(directory / "microphone.wav", resample(sound.samples, 16000, 48000), 48000)


async def start_exam(page, base_url: str, exam_id: int, enrolled: bool) -> None:
    """Open the exam (consent already given) and pass the system check; without a school-uploaded photo, have
    the server take one from the camera stream.

    The identity check then runs by itself.
    """
    await page.goto(f"{base_url}/proctor/exams/{exam_id}/take/")
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    assert await page.locator("#check-stream").get_attribute("data-ok") == "1"
    if enrolled:
        return
    await page.locator("#step-reference").wait_for(state="visible", timeout=5_000)
    decided = page.locator("#step-reference[hidden], #reference-error:not(:empty)").first
    for _ in range(10):  # the clip may show two faces or none at the moment of the photo: the gate refuses, retry
        await page.get_by_role("button", name="Сделать фото").click()
        await decided.wait_for(state="attached", timeout=20_000)
        if await page.locator("#step-reference").is_hidden():
            return
    raise AssertionError("the quality gate refused every photo: " + await page.locator("#reference-error").inner_text())


async def share_screen(page) -> None:
    """The student shares the whole screen (Chromium started with tests.lessons.browsers.SCREEN_ARGS)."""
    await page.get_by_role("button", name="Показать экран").click()
    await page.locator("#check-screen[data-ok='1']").wait_for(state="attached", timeout=10_000)
    assert await page.get_by_role("button", name="Показать экран").is_hidden()


async def next_event(ws, wanted, timeout: float) -> dict:
    """The first dashboard frame for which ``wanted(frame)`` is true (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("expected dashboard event did not arrive in time")
        frame = await receive_json(ws, timeout=left)
        if wanted(frame):
            return frame


def episode_of(kind: str, event: str = "episode.opened"):
    return lambda frame: frame["type"] == event and frame["episode"]["kind"] == kind


def session_state(state: str):
    return lambda frame: frame["type"] == "session.updated" and frame["state"] == state


async def open_session(server, exam_id: int, username: str = "student") -> int:
    """The student opens the exam page (creating the session) and returns its id."""
    session = logged_in(server.url, username)
    status, body = session.get(f"/proctor/exams/{exam_id}/take/")
    assert status == 200
    return json.loads(body.decode().split('id="exam-config" type="application/json">')[1].split("</script>")[0])[
        "session"
    ]


class PhotoCamera(VideoStreamTrack):
    """A synthetic 640x480 camera showing ``photo`` (a path; None: a plain frame with no face), changeable live."""

    def __init__(self, photo: Path | None = None) -> None:
        super().__init__()
        self.show(photo)

    def show(self, photo: Path | None) -> None:
        self.frame: np.ndarray | None = None
        if photo is not None:
            image = cv2.imread(str(photo))
            scale = min(640 / image.shape[1], 480 / image.shape[0])
            image = cv2.resize(image, (int(image.shape[1] * scale), int(image.shape[0] * scale)))
            self.frame = np.full((480, 640, 3), 127, np.uint8)
            self.frame[: image.shape[0], : image.shape[1]] = image

    async def recv(self) -> av.VideoFrame:
        if self.frame is None:
            return await super().recv()
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self.frame, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def camera_offer(
    track: MediaStreamTrack | None = None, microphone: MediaStreamTrack | None = None
) -> RTCPeerConnection:
    """An aiortc peer sending a synthetic camera (and microphone), its complete offer made
    (``pc.localDescription.sdp``)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(track or VideoStreamTrack())
    if microphone is not None:
        pc.addTrack(microphone)
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def stream_camera(ws, track: MediaStreamTrack | None = None) -> RTCPeerConnection:
    """Offer a synthetic camera on the student's socket and connect it with the server's answer."""
    return await stream_track(ws, track or VideoStreamTrack())


class ClipTrack(VideoStreamTrack):
    """A camera playing a clip (e.g. a scenario's .y4m) in a loop at ``fps``, scaled to ``width`` x ``height``:
    a student sending what the exam page sends at the analysis grade, without a browser."""

    def __init__(self, clip: Path, fps: int = 5, width: int = 320, height: int = 240) -> None:
        super().__init__()
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            step = max(1, round(float(stream.average_rate or fps) / fps))
            decoded = [f for i, f in enumerate(container.decode(stream)) if i % step == 0]
        self.frames = [f.reformat(width=width, height=height, format="yuv420p") for f in decoded]
        self.fps, self.sent = fps, 0

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(1 / self.fps)
        frame = self.frames[self.sent % len(self.frames)]
        frame.pts, frame.time_base = self.sent * 90_000 // self.fps, Fraction(1, 90_000)
        self.sent += 1
        return frame


class ToneMicrophone(AudioStreamTrack):
    """A microphone playing a steady tone (48 kHz mono, 20 ms frames) at a quarter of full scale."""

    RATE = 48_000

    def __init__(self, hz: float = 440.0) -> None:
        super().__init__()
        self.hz, self.sent = hz, 0

    async def recv(self) -> av.AudioFrame:
        await asyncio.sleep(0.02)
        count = self.RATE // 50
        at = np.arange(self.sent, self.sent + count)
        samples = (8000 * np.sin(2 * np.pi * self.hz * at / self.RATE)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = self.RATE, self.sent, Fraction(1, self.RATE)
        self.sent += count
        return frame


async def stream_track(ws, track: MediaStreamTrack, microphone: MediaStreamTrack | None = None) -> RTCPeerConnection:
    """Offer ``track`` (and ``microphone``) on the student's socket and connect it with the server's answer."""
    pc = await camera_offer(track, microphone)
    await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
    answer = await next_event(ws, lambda f: f["type"] == "answer", timeout=10)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return pc


async def record_attempt(server, exam_id: int, seconds: float) -> int:
    """A student's attempt that streams the second_person clip and a tone for ``seconds`` (on the sender's clock)
    through the real media worker and is then submitted; its session id."""
    session_id = await open_session(server, exam_id)
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(ws))["type"] == "session.state"
    clip, _ = scenario("second_person")
    pc = await stream_track(ws, ClipTrack(clip), ToneMicrophone())
    try:
        await next_event(ws, lambda f: f["type"] == "media.ok", timeout=20)
        await asyncio.sleep(seconds)
        await ws.send(json.dumps({"type": "submit"}))
        await next_event(ws, lambda f: f["type"] == "session.ended", timeout=10)
    finally:
        await pc.close()
    return session_id


@dataclass
class FailOver:
    killed_at: datetime  # wall clock, to compare with the server's times
    gap: dict  # the camera_lost episode's opening frame
    closed: dict  # ... and its closing frame (the live worker's first frame)
    seconds: float  # from the kill to the gap's close


async def kill_media_worker(worker, survivor, proctor, page, live_env, session_id: int) -> FailOver:
    """SIGKILL the session's media ``worker`` (no goodbye, no closed peers, no stopped mark): the session moves to
    ``survivor``, one camera_lost episode opens and is closed by the survivor's first frame, the page is connected
    again."""
    worker.process.kill()
    killed_at, killed = datetime.now(UTC), time.monotonic()
    gap = await next_event(proctor, episode_of("camera_lost"), timeout=30)
    closed = await next_event(proctor, episode_of("camera_lost", "episode.closed"), timeout=30)
    seconds = time.monotonic() - killed
    assert gap["episode"]["session"] == closed["episode"]["session"] == session_id
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    assert live_env.call(media_setups.placement, session=session_id) == survivor.name
    assert f"session {session_id} attached" in survivor.log()
    return FailOver(killed_at, gap, closed, seconds)


async def open_review(browser, base_url: str, session_id: int):
    """The proctor's review page of the session in a new context of ``browser``, its player's recording loaded
    (metadata); the page and the player's camera video."""
    page = await (await browser.new_context()).new_page()
    await login(page, base_url, "proctor")
    await page.goto(f"{base_url}/proctor/sessions/{session_id}/")
    await page.locator("#player .player-body").wait_for(state="visible", timeout=30_000)
    camera = page.locator("#player video.player-camera")
    await wait_for(lambda: camera.evaluate("v => v.readyState >= 1"), what="the recording's metadata")
    return page, camera


async def timeline_kinds(page) -> list[str]:
    """The kinds of the review page's timeline items, in their order."""
    items = page.locator("#timeline .episode")
    return [await items.nth(i).get_attribute("data-kind") for i in range(await items.count())]


async def player_position(page) -> float:
    return float(await page.locator("#player").get_attribute("data-position") or "nan")


async def choose_item(page, index: int) -> None:
    """Press J (or K) until the timeline's item ``index`` is the chosen one."""
    for _ in range(100):
        if (chosen := await page.evaluate(CHOSEN_ITEM)) == index:
            return
        await page.keyboard.press("j" if chosen < index else "k")
    raise AssertionError(f"J/K never chose item {index} (at {chosen})")


async def plays_from(page, camera, seconds: float, what: str, screen=None) -> None:
    """The player was moved to ``seconds`` into the recording and plays on from there (its camera video, and the
    ``screen`` video beside it if given)."""
    assert abs(await player_position(page) - seconds) < 0.6, (what, await player_position(page), seconds)
    after = seconds + 0.5
    for video in (camera, screen) if screen is not None else (camera,):
        await wait_for(lambda video=video: video.evaluate(f"v => v.currentTime > {after}"), what=f"{what} playing")
        assert not await video.evaluate("v => v.paused"), what
