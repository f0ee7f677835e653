"""Real Chromium, a live daphne and the test platform: the LMS's course page launches the tool end to end.

The platform's course page starts the third-party login at the tool, its auth endpoint posts the signed
``id_token`` back, and the browser lands where the role leads; Deep Linking goes back to the platform as a
signed answer; after review the platform's AGS endpoint receives the score. The platform fetches the tool's
keys from the live server (``/lti/jwks.json``) for every token request, as Moodle does.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.support import lti_setups
from tests.support.lti_platform import INSTRUCTOR, LEARNER, TestPlatform, new_sub

pytestmark = pytest.mark.browser

ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


async def _open_from_course(page, platform: TestPlatform, claims: dict) -> None:
    hint = platform.prepare(claims)
    await page.goto(f"{platform.url}/course/{hint}")
    await page.click("#launch")


async def _until(condition, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_deep_linking_learner_and_instructor_launches_and_grade_passback(browser, daphne_server, live_env):
    base = daphne_server.url
    platform = TestPlatform(context_id="course-" + new_sub()).start()
    platform.tool_login_url = base + "/lti/login/"
    platform.tool_key_set = base + "/lti/jwks.json"
    live_env.call(lti_setups.register_platform, registration=platform.registration())
    try:
        # A teacher places a proctored exam in the course (Deep Linking round trip).
        teacher_sub = new_sub()
        teacher = await (await browser.new_context()).new_page()
        await _open_from_course(
            teacher, platform, platform.claims(teacher_sub, [INSTRUCTOR], message_type="LtiDeepLinkingRequest")
        )
        await teacher.wait_for_url(re.compile(re.escape(base) + r"/lti/deep-link/.+"))
        opens = datetime.now(ZoneInfo(settings.TIME_ZONE)) - timedelta(minutes=5)
        await teacher.check("input[name=kind][value=exam]")
        await teacher.fill("#id_title", "Зачёт по оптике")
        await teacher.fill("#id_starts_at", opens.strftime("%Y-%m-%dT%H:%M"))
        await teacher.fill("#id_closes_at", (opens + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        await teacher.fill("#id_duration_minutes", "30")
        await teacher.fill("#id_lms_url", "https://moodle.example/mod/quiz/view.php?id=31")
        await teacher.click("#deep-link-form button[type=submit]")
        await teacher.locator("#deep-link-received").wait_for()
        [answer] = platform.deep_link_answers
        [item] = answer[ITEMS]
        exam = live_env.call(lti_setups.placed_exam, token=item["custom"]["placement"])
        assert (item["title"], exam["title"], exam["lms_url"]) == (
            "Зачёт по оптике",
            "Зачёт по оптике",
            "https://moodle.example/mod/quiz/view.php?id=31",
        )

        # The placed link: the instructor lands in the exam's dashboard, the learner in the proctored exam.
        lineitem = platform.url + "/lineitems/31"
        link = {"custom": item["custom"], "lineitem": lineitem}
        await _open_from_course(teacher, platform, platform.claims(teacher_sub, [INSTRUCTOR], **link))
        await teacher.wait_for_url(f"{base}/proctor/exams/{exam['exam']}/dashboard/")
        await teacher.locator("#grid").wait_for(state="attached")

        learner_sub = new_sub()
        learner = await (await browser.new_context()).new_page()
        await _open_from_course(learner, platform, platform.claims(learner_sub, [LEARNER], **link))
        await learner.wait_for_url(f"{base}/proctor/exams/{exam['exam']}/take/")
        await learner.locator("#exam-status").wait_for()

        # After review, the platform's gradebook receives the score.
        [session] = live_env.call(lti_setups.end_sessions_of, exam=exam["exam"])
        await teacher.goto(f"{base}/proctor/sessions/{session}/")
        await teacher.select_option("#verdict-select", "clean")
        await teacher.click("form[action$='/verdict/'] button[type=submit]")
        await teacher.locator("#verdict").wait_for()
        await _until(lambda: bool(platform.scores))
        [score] = platform.scores
        assert (score["lineitem"], score["userId"], score["scoreGiven"], score["scoreMaximum"]) == (
            lineitem,
            learner_sub,
            100,
            100,
        )
        assert score["comment"] == "Прокторинг: нарушений нет."
    finally:
        platform.stop()
