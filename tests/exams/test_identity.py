"""A video of a different person than the reference photo fails the identity check; the student may retry (a
reconnect asks no check by itself: each counts against the policy's identity_attempts), and a proctor who has
looked can admit them manually (audited)."""

from __future__ import annotations

import json

import pytest

from tests.exams.helpers import next_event, scenario, session_state, start_exam
from tests.support import setups
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = [pytest.mark.browser, pytest.mark.media]


async def test_other_person_fails_identity_then_proctor_admits(
    private_network, make_exam, daphne_factory, browser_factory, live_env
):
    clip, _ = scenario("second_person")
    _, someone_else = scenario("absent_return")  # the school's photo shows a different person
    exam_id = make_exam(someone_else)
    live_env.call(setups.clear_audit, username="student")
    server = daphne_factory()
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(proctor)

    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    await page.locator("body[data-identity='failed']").wait_for(timeout=20_000)
    assert await page.locator("#identity-retry").is_visible()
    assert await page.locator("#step-exam").is_hidden()
    failed = await next_event(proctor, lambda f: f["type"] == "session.updated" and f["identity"] == "failed", 5)
    session_id = failed["session"]

    def attempts() -> list[int]:
        trail = live_env.call(setups.reference_capture_audit, username="student")
        return [details["attempt"] for kind, details in trail if kind == "proctor.identity_attempt"]

    # The page comes back (a reload: a new socket, the session back through the camera check): it shows the
    # failure and the retry button but asks no check by itself (the code before asked one: 2 attempts here).
    await page.reload()
    await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)
    await page.locator("#identity-retry").wait_for(state="visible", timeout=10_000)
    assert attempts() == [1]

    await page.get_by_role("button", name="Попробовать ещё раз").click()  # a retry fails again
    await page.locator("#identity-retry").wait_for(state="hidden", timeout=5_000)
    await page.locator("#identity-retry").wait_for(state="visible", timeout=20_000)
    assert attempts() == [1, 2]
    assert await page.locator("#step-exam").is_hidden()

    await proctor.send(json.dumps({"type": "admit", "session": session_id}))
    admitted = await next_event(proctor, session_state("running"), timeout=5)
    assert admitted["identity"] == "admitted"
    await page.locator("#step-exam").wait_for(state="visible", timeout=10_000)
    assert live_env.call(setups.manual_admit_audit, session=session_id) == ["proctor", "student"]
    await proctor.close()
