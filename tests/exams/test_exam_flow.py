"""The real path: Chromium with a fake webcam -> aiortc under daphne -> vision -> proctor's dashboard socket."""

from __future__ import annotations

import time

import pytest

from tests.exams.conftest import scenario
from tests.support.client import logged_in, receive_json

pytestmark = [pytest.mark.browser, pytest.mark.media]


async def login(page, base_url: str, username: str) -> None:
    await page.goto(base_url + "/accounts/login/")
    await page.get_by_label("Логин").fill(username)
    await page.get_by_label("Пароль").fill(f"{username}-demo")
    await page.get_by_role("button", name="Войти").click()
    await page.wait_for_url(base_url + "/")


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


async def test_student_passes_identity_and_proctor_sees_second_person(
    private_network, make_exam, daphne_factory, browser_factory, artifacts_dir
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)
    server = daphne_factory()
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(proctor))["type"] == "snapshot"

    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")
    await page.goto(f"{server.url}/proctor/")
    await page.get_by_role("link", name="Начать").click()
    # system check passes on its own once the stream reaches the server, then consent
    await page.locator("#step-consent").wait_for(state="visible", timeout=20_000)
    assert await page.locator("#check-stream").get_attribute("data-ok") == "1"
    await page.get_by_label("Я даю согласие").check()
    await page.get_by_role("button", name="Продолжить").click()
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    assert await page.locator("body").get_attribute("data-identity") == "verified"
    await page.screenshot(path=str(artifacts_dir / "exam-running.png"))

    # The clip: 0-3 s one face, 3-6 s two faces, looping every 9 s.
    opened = await next_event(
        proctor, lambda f: f["type"] == "episode.opened" and f["episode"]["kind"] == "multiple_faces", timeout=25
    )
    assert opened["episode"]["has_evidence"]
    latency = time.time() - opened["decided_at"]
    assert latency < 1.0, f"episode reached the proctor {latency:.2f} s after the debounce ended"
    await proctor.close()
