"""The scaled media path: daphne on Redis hosts no peers; separate media-worker processes own the sessions
assigned to them (session % RTC_MEDIA_WORKERS), run identity checks and announce episodes to the proctors,
exit by themselves on SIGTERM with a peer open; an offer no worker answers gets an error frame (after the offer
time-out), and the exam page's next offer is answered once a worker is up."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.exams.helpers import camera_offer, episode_of, next_event, open_session, scenario, start_exam
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = pytest.mark.media


async def test_two_media_workers_check_identity_announce_episodes_and_stop_on_sigterm(
    private_network, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)
    scaled = {"RTC_MEDIA_WORKERS": "2"}
    workers = [media_worker_factory(index, {**scaled, "REDIS_URL": redis_server.url}) for index in range(2)]
    server = daphne_factory(redis_url=redis_server.url, extra_env=scaled)
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(proctor))["type"] == "snapshot"

    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)  # system check, then the identity check by itself
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    assert await page.locator("body").get_attribute("data-identity") == "verified"

    opened = await next_event(proctor, episode_of("multiple_faces"), timeout=25)
    session_id = opened["episode"]["session"]
    owner, other = workers[session_id % 2], workers[1 - session_id % 2]
    assert f"session {session_id} attached" in owner.log()
    assert "attached" not in other.log()
    assert "media worker listening" not in server.log()  # daphne hosts no media worker in the scaled layout

    await asyncio.to_thread(owner.stop)
    # Exit code 0: it closed its peer and exited by itself within stop()'s 10 s grace (docker-compose.yml's
    # stop_grace_period), not killed.
    assert owner.process.returncode == 0, owner.log()[-2000:]
    await page.locator("body[data-connection='media-lost']").wait_for(timeout=5_000)
    await proctor.close()


async def test_an_offer_no_worker_answers_gets_an_error_frame_and_the_page_offers_again(
    private_network, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory
):
    clip, _ = scenario("second_person")
    exam_id = make_exam(None)
    scaled = {"RTC_MEDIA_WORKERS": "1", "RTC_MEDIA_OFFER_TIMEOUT_SECONDS": "1.5"}
    server = daphne_factory(redis_url=redis_server.url, extra_env=scaled)
    session_id = await open_session(server, exam_id)
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(ws))["type"] == "session.state"
    pc = await camera_offer()
    sent = time.monotonic()
    await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
    error = await receive_json(ws, timeout=5)
    assert error["type"] == "error"
    assert error["error"] == "media_timeout"
    assert time.monotonic() - sent >= 1.4  # only after the offer time-out (a busy machine only makes it later)
    await pc.close()
    await ws.close()

    # The exam page offers again after each media_timeout; once a worker is up its offer is answered.
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await page.goto(f"{server.url}/proctor/exams/{exam_id}/take/")
    await page.locator("body[data-connection='media-timeout']").wait_for(timeout=10_000)
    await asyncio.to_thread(media_worker_factory, 0, {**scaled, "REDIS_URL": redis_server.url})
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    assert await page.locator("#check-stream").get_attribute("data-ok") == "1"
