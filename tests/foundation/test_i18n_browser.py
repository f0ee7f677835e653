"""Real Chromium against a real daphne (DEBUG off): with the English cookie, a script's own text is English."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.support import setups
from tests.support.browser import login

pytestmark = pytest.mark.browser


async def test_review_script_marks_an_episode_in_english(browser, daphne_server, live_env):
    session_id = live_env.call(setups.reviewable_session)
    context = await browser.new_context()
    await context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": daphne_server.url}])
    page = await context.new_page()
    await login(page, daphne_server.url, "proctor")

    await page.goto(f"{daphne_server.url}/proctor/sessions/{session_id}/")
    state = page.locator("#timeline .episode .review-state")
    assert await state.inner_text() != "confirmed"  # the server's label; the script writes the next one
    await page.locator("#timeline .episode").focus()
    await page.keyboard.press("c")  # confirm: review.js saves it and labels it with gettext()
    await page.locator("#timeline .episode[data-review=confirmed] .review-state", has_text="confirmed").wait_for()
    assert not re.search("[А-Яа-яЁё]", await state.inner_text())
    await context.close()
