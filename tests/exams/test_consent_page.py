"""The exam page opens no camera before the biometric consent (issue 11, point 3): a minor's page sends the
student to a parent; an adult student consents on the page, and only then does the system check start."""

from __future__ import annotations

import pytest

from tests.exams.helpers import scenario
from tests.support import setups
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.media]


async def camera_opened(page) -> bool:
    return await page.evaluate("!!document.getElementById('preview').srcObject")


async def test_no_camera_before_consent_and_a_minor_is_sent_to_a_parent(
    private_network, make_exam, daphne_factory, browser_factory, live_env
):
    clip, _ = scenario("second_person")
    exam_id = make_exam(None, consent=False)
    live_env.call(setups.clear_audit, username="student")
    server = daphne_factory()
    browser = await browser_factory(fake_video=clip)
    page = await (await browser.new_context()).new_page()
    await login(page, server.url, "student")

    await page.goto(f"{server.url}/proctor/exams/{exam_id}/take/")  # a minor (no birth date entered)
    await page.locator("#consent-parent").wait_for(state="visible", timeout=10_000)
    assert await page.locator("#consent-form").is_hidden()
    assert await page.locator("#step-check").is_hidden()
    assert not await camera_opened(page)

    live_env.call(setups.set_birth_date, username="student", born="2000-01-01")  # the school enters: adult
    try:
        await page.reload()
        await page.locator("#step-consent").wait_for(state="visible", timeout=10_000)
        assert not await camera_opened(page)
        assert await page.evaluate("document.body.dataset.connection") is None  # no socket, no offer
        await page.get_by_label("Я даю согласие").check()
        await page.get_by_role("button", name="Продолжить").click()
        await page.locator("body[data-connection='ok']").wait_for(timeout=20_000)  # the stream reached the server
        assert await camera_opened(page)
        await page.locator("#step-reference").wait_for(state="visible", timeout=10_000)
        assert live_env.call(setups.consent_audit, username="student") == [
            ["proctor.biometric_consent", "student", "student"]
        ]
    finally:
        live_env.call(setups.set_birth_date, username="student", born="")
