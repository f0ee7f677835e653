"""Real Chromium against a real daphne (DEBUG off): with the English cookie, a script's own text is English."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.support.browser import login

pytestmark = pytest.mark.browser

# A closed exam of 9А with one unreviewed episode, watched by the demo proctor; prints the session id.
REVIEWABLE_SESSION = """
from datetime import timedelta
from django.utils import timezone
from proctor.models import Episode, Exam, ExamSession
from server.accounts.models import User
from server.school.models import StudyGroup
now = timezone.now()
exam = Exam.objects.create(title="i18n", group=StudyGroup.objects.get(name="9А"), opens_at=now - timedelta(hours=2),
                           closes_at=now - timedelta(hours=1))
exam.proctors.add(User.objects.get(username="proctor"))
session = ExamSession.objects.create(exam=exam, student=User.objects.get(username="student"))
Episode.objects.create(session=session, kind="looking_away", started_at=now - timedelta(hours=1))
print(session.pk)
"""


async def test_review_script_marks_an_episode_in_english(browser, daphne_server, live_env):
    session_id = int(live_env.shell(REVIEWABLE_SESSION).split()[-1])
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
