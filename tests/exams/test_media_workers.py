"""The scaled media path: daphne on Redis hosts no peers; separate media-worker processes announce themselves,
take the sessions placed on them (the least loaded live worker), run identity checks and announce episodes to
the proctors. A worker killed with SIGKILL loses its sessions to a live worker: the page offers again, the video
flows, the gap is one camera_lost episode and nothing decided before is lost. A worker stopped with SIGTERM
exits by itself and its sessions move at once. An offer no worker answers gets an error frame, and the exam
page's next offer is answered once a worker is up."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import pytest

from tests.exams import media_setups
from tests.exams.helpers import (
    camera_offer,
    episode_of,
    kill_media_worker,
    next_event,
    open_session,
    scenario,
    start_exam,
)
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = pytest.mark.media


async def test_a_killed_worker_s_session_moves_to_a_live_worker_with_one_camera_lost_gap_and_nothing_lost(
    private_network, live_env, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)
    # Capacity 1 student each, so the students decide the placement, not the CPU of this shared host (the load is
    # the larger of the two: placement by CPU is in test_media_placement.py).
    scaled = {"REDIS_URL": redis_server.url, "RTC_MEDIA_CAPACITY": "1"}
    workers = media_worker_factory.several(["alpha", "beta"], scaled)
    server = daphne_factory(redis_url=redis_server.url)
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(proctor))["type"] == "snapshot"

    # Unequal load: a classmate's session (no camera) goes first, to either (both empty: the quieter host) ...
    classmate_session = await open_session(server, exam_id, "student2")
    classmate = await logged_in(server.url, "student2").websocket(f"/ws/rtc/sessions/{classmate_session}/")
    assert (await receive_json(classmate))["type"] == "session.state"
    first = live_env.call(media_setups.placement, session=classmate_session)
    survivor, holder = workers[first], workers["beta" if first == "alpha" else "alpha"]

    # ... so the student's goes to the other, the least loaded (the first is full); after the kill, back to the
    # survivor, full or not.
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    opened = await next_event(proctor, episode_of("multiple_faces"), timeout=25)
    session_id = opened["episode"]["session"]
    assert live_env.call(media_setups.placement, session=session_id) == holder.name
    assert f"session {session_id} attached" in holder.log()
    assert "listening on proctor.media" not in server.log()  # daphne hosts no media worker in the scaled layout
    decided = live_env.call(media_setups.episodes, session=session_id)

    fail_over = await kill_media_worker(holder, survivor, proctor, page, live_env, session_id)

    after = {row[0]: row for row in live_env.call(media_setups.episodes, session=session_id)}
    before = {row[0] for row in decided}
    gaps = [row for row in after.values() if row[1] == "camera_lost" and row[0] not in before]
    assert len(gaps) == 1, after
    assert gaps[0][3] is not None, after  # closed by the live worker's first frame
    gap_seconds = (datetime.fromisoformat(gaps[0][3]) - datetime.fromisoformat(gaps[0][2])).total_seconds()
    print(f"camera_lost gap {gap_seconds:.1f} s from the last heartbeat; decided {fail_over.seconds:.1f} s after kill")
    for row in decided:  # everything decided before the kill is still there; what was closed is unchanged
        assert row[0] in after, (row, after)
        if row[3] is not None:
            assert after[row[0]] == row
        else:  # left open by the dead worker: ended when it was last heard from, before the gap began
            assert after[row[0]][3] is not None
            assert after[row[0]][3] <= gaps[0][2]
    await classmate.close()
    await proctor.close()


async def test_a_worker_stopped_with_sigterm_exits_by_itself_and_its_session_moves_at_once(
    private_network, live_env, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)
    workers = media_worker_factory.several(["alpha", "beta"], {"REDIS_URL": redis_server.url})
    server = daphne_factory(redis_url=redis_server.url)
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)  # system check, then the identity check by itself
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    assert await page.locator("body").get_attribute("data-identity") == "verified"
    session_id = await open_session(server, exam_id)
    owner_name = live_env.call(media_setups.placement, session=session_id)
    owner, other = workers[owner_name], workers["beta" if owner_name == "alpha" else "alpha"]

    await asyncio.to_thread(owner.stop)
    # Exit code 0: it closed its peer and exited by itself within stop()'s 10 s grace (docker-compose.yml's
    # stop_grace_period), not killed.
    assert owner.process.returncode == 0, owner.log()[-2000:]
    await asyncio.to_thread(_wait_for, lambda: f"session {session_id} attached" in other.log(), 20)
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    assert live_env.call(media_setups.placement, session=session_id) == other.name


def _wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


async def test_an_offer_no_worker_answers_gets_an_error_frame_and_the_page_offers_again(
    private_network, make_exam, redis_server, daphne_factory, media_worker_factory, browser_factory
):
    clip, _ = scenario("second_person")
    exam_id = make_exam(None)
    scaled = {"RTC_MEDIA_OFFER_TIMEOUT_SECONDS": "1.5"}
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
    await asyncio.to_thread(media_worker_factory, "alpha", {**scaled, "REDIS_URL": redis_server.url})
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    assert await page.locator("#check-stream").get_attribute("data-ok") == "1"
