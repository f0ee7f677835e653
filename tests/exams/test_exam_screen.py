"""The student's whole screen: Chromium's fake screen capture -> the offer's second video -> the media worker's
screen tap, which a proctor views on demand (``view`` with ``source: "screen"``); stopping the share is a
``screen_share_stopped`` episode on the proctor's socket, so is a second monitor (``screen.isExtended``), and a window
instead of the whole screen is refused."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from tests.exams.helpers import episode_of, next_event, scenario, share_screen, start_exam
from tests.lessons.browsers import SCREEN_ARGS
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = [pytest.mark.browser, pytest.mark.media]

# Keeps what getDisplayMedia returned (the page holds it in its closure) so that the test can stop it.
KEEP_SCREEN = """
const share = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getDisplayMedia = async (constraints) => (window.sharedScreen = await share(constraints));
"""
# A desktop that the test extends to a second monitor (headless Chromium has one): the Window Management API's
# screen.isExtended reads window.extended.
SECOND_MONITOR = """
window.extended = false;
Object.defineProperty(Screen.prototype, "isExtended", { get: () => window.extended, configurable: true });
"""
# A window, as the student would pick in the browser's dialog: the fake capture is always the whole screen.
PICK_A_WINDOW = """
const share = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getDisplayMedia = async (constraints) => {
  const stream = window.sharedScreen = await share(constraints);
  const track = stream.getVideoTracks()[0], settings = track.getSettings.bind(track);
  track.getSettings = () => ({ ...settings(), displaySurface: "window" });
  return stream;
};
"""
# What the browser's "Stop sharing" bar does: the track ends and fires "ended" (a script's stop() fires nothing).
STOP_SHARING = """
const track = window.sharedScreen.getVideoTracks()[0];
track.stop();
track.dispatchEvent(new Event("ended"));
"""
SESSION_ID = "JSON.parse(document.getElementById('exam-config').textContent).session"


async def view_screen(proctor, session_id: int) -> tuple[RTCPeerConnection, object]:
    """Open the proctor's live view of the student's screen; the receiving peer and its first decoded frame."""
    viewer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    viewer.addTransceiver("video", direction="recvonly")
    await viewer.setLocalDescription(await viewer.createOffer())
    view = {"type": "view", "session": session_id, "sdp": viewer.localDescription.sdp, "source": "screen"}
    await proctor.send(json.dumps(view))
    answer = await next_event(proctor, lambda f: f["type"] in ("view.answer", "view.error"), timeout=15)
    assert answer["type"] == "view.answer", answer
    await viewer.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    [track] = [t.receiver.track for t in viewer.getTransceivers()]
    return viewer, await asyncio.wait_for(track.recv(), 20)


async def test_the_shared_screen_reaches_the_proctor_stopping_it_and_a_second_monitor_are_episodes(
    private_network, make_exam, daphne_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference, policy={"rules": {"speech": {"enabled": False}}})
    server = daphne_factory()
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(proctor)

    browser = await browser_factory(fake_video=clip, extra_args=SCREEN_ARGS)
    context = await browser.new_context()
    await context.add_init_script(KEEP_SCREEN)
    await context.add_init_script(SECOND_MONITOR)
    page = await context.new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    await share_screen(page)
    await page.locator("#step-exam").wait_for(state="visible", timeout=30_000)

    # The screen, not the camera (the clip is 320x240), arrives on the server's screen tap.
    viewer, frame = await view_screen(proctor, await page.evaluate(SESSION_ID))
    await viewer.close()
    assert 640 < frame.width <= 1280

    await page.evaluate(STOP_SHARING)
    opened = await next_event(proctor, episode_of("screen_share_stopped"), timeout=30)
    assert opened["episode"]["ended_at"] is None
    assert await page.get_by_role("button", name="Показать экран").is_visible()  # the student may share again

    await page.evaluate("window.extended = true")  # read within the page's 5-s poll
    monitor = await next_event(proctor, episode_of("second_monitor"), timeout=20)
    assert monitor["episode"]["ended_at"] is None


async def test_a_window_instead_of_the_whole_screen_is_refused(
    private_network, make_exam, daphne_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference, policy={"rules": {"speech": {"enabled": False}}})
    server = daphne_factory()
    browser = await browser_factory(fake_video=clip, extra_args=SCREEN_ARGS)
    context = await browser.new_context()
    await context.add_init_script(PICK_A_WINDOW)
    page = await context.new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    await page.get_by_role("button", name="Показать экран").click()
    await page.locator("#screen-error:not(:empty)").wait_for(timeout=10_000)
    assert "окно или вкладка" in await page.locator("#screen-error").inner_text()
    assert await page.locator("#check-screen").get_attribute("data-ok") == "0"
    assert await page.evaluate("window.sharedScreen.getVideoTracks()[0].readyState") == "ended"
    assert await page.get_by_role("button", name="Показать экран").is_visible()  # asked again


async def test_an_exam_that_does_not_watch_the_screen_never_asks_for_it(
    private_network, make_exam, daphne_factory, browser_factory
):
    clip, reference = scenario("second_person")
    policy = {"rules": {kind: {"enabled": False} for kind in ("speech", "screen_share_stopped", "second_monitor")}}
    exam_id = make_exam(reference, policy=policy)
    server = daphne_factory()
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(proctor)
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    assert await page.locator("#screen-button, #check-screen").count() == 0
    # The offer had no screen section: a proctor asking for the screen is told so (the camera is connected).
    view = {"type": "view", "session": await page.evaluate(SESSION_ID), "sdp": "v=0\r\n", "source": "screen"}
    await proctor.send(json.dumps(view))
    error = await next_event(proctor, lambda f: f["type"] in ("view.answer", "view.error"), timeout=15)
    assert error == {"type": "view.error", "session": view["session"], "detail": "ученик не показывает экран"}
