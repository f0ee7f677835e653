"""person -> empty -> person: no_face reaches the proctor (socket and dashboard feed); a closed tab pauses the
session and resumes within the grace period; gone for longer, the gap is camera_lost and the student still comes
back and continues (issue 11.4), then submits; the proctor reviews; the report and the student's own timeline
show the result."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.exams.helpers import episode_of, next_event, scenario, session_state, start_exam
from tests.support.browser import login
from tests.support.client import logged_in, receive_json

pytestmark = [pytest.mark.browser, pytest.mark.media]

GRACE_SECONDS = 5


async def test_no_face_camera_lost_resume_grace_review_and_report(
    private_network, make_exam, daphne_factory, browser_factory
):
    clip, reference = scenario("absent_return")
    # The clip is empty for exactly 3 s; analysed at 2 fps the absence measures 2.5-3.5 s, so this exam flags
    # absences from 2 s (the default 3 s would make the test depend on sampling phase).
    exam_id = make_exam(reference, policy={"rules": {"no_face": {"min_duration_s": 2.0}}})
    server = daphne_factory(extra_env={"PROCTOR_RESUME_GRACE_SECONDS": str(GRACE_SECONDS)})
    proctor_http = logged_in(server.url, "proctor")
    proctor = await proctor_http.websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(proctor)

    browser = await browser_factory(fake_video=clip)
    dashboard = await (await browser.new_context()).new_page()  # the proctor's own browser context
    await login(dashboard, server.url, "proctor")
    await dashboard.goto(f"{server.url}/proctor/exams/{exam_id}/dashboard/")
    context = await browser.new_context()
    page = await context.new_page()
    await login(page, server.url, "student")
    await start_exam(page, server.url, exam_id, enrolled=True)
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)

    # The clip is empty from 3 s to 6 s (9 s loop): no_face must reach the proctor within one loop or two,
    # on the socket and as a line in the dashboard's live feed.
    no_face = await next_event(proctor, episode_of("no_face"), timeout=20)
    session_id = no_face["episode"]["session"]
    feed_line = dashboard.locator(f'#feed li[data-kind="no_face"][data-session="{session_id}"]')
    await feed_line.first.wait_for(timeout=5_000)
    assert "нет лица в кадре" in await feed_line.first.inner_text()
    # The same line is updated when the episode ends (not a second line), with times in the school's zone.
    episode_id = no_face["episode"]["id"]
    closed_line = dashboard.locator(f'#feed li[data-episode="{episode_id}"][data-event="episode.closed"]')
    await closed_line.wait_for(timeout=20_000)
    assert await dashboard.locator(f'#feed li[data-episode="{episode_id}"]').count() == 1
    started = datetime.fromisoformat(no_face["episode"]["started_at"]).astimezone(ZoneInfo(settings.TIME_ZONE))
    assert (await closed_line.inner_text()).startswith(started.strftime("%H:%M:%S") + "–")

    # Closing the tab pauses the session; within the grace period nothing is flagged yet.
    await page.close()
    await next_event(proctor, session_state("paused"), timeout=5)

    # Coming back within the grace period resumes the same session straight into the exam, tasks and all.
    page = await context.new_page()
    await page.goto(f"{server.url}/proctor/exams/{exam_id}/take/")
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    resumed = await next_event(proctor, session_state("running"), timeout=10)
    assert resumed["session"] == session_id

    # Gone for longer than the grace period: the gap is a camera_lost episode, and the session stays resumable.
    await page.close()
    await next_event(proctor, session_state("paused"), timeout=5)
    lost = await next_event(proctor, episode_of("camera_lost"), timeout=GRACE_SECONDS + 10)
    assert lost["episode"]["session"] == session_id
    page = await context.new_page()
    await page.goto(f"{server.url}/proctor/")
    assert "можно продолжить до" in await page.locator("main").inner_text()
    await page.goto(f"{server.url}/proctor/exams/{exam_id}/take/")
    assert "можно продолжить до" in await page.locator("#resume-notice").inner_text()
    await page.locator("#step-exam").wait_for(state="visible", timeout=20_000)
    await page.locator("#tasks .materials").wait_for(timeout=10_000)
    assert "Решите уравнение" in await page.locator("#tasks .materials").inner_text()
    assert (await next_event(proctor, session_state("running"), timeout=10))["session"] == session_id

    # The student finishes the exam themselves.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.locator("#submit-button").click()
    ended = await next_event(proctor, session_state("ended"), timeout=10)
    assert ended["end_reason"] == "submitted"
    page = await context.new_page()
    await page.goto(f"{server.url}/proctor/exams/{exam_id}/take/")
    assert "Экзамен завершён" in await page.locator("#exam-over").inner_text()
    await proctor.close()

    # Review: the student cannot see the timeline before it; the proctor confirms no_face, dismisses the rest.
    student_http = logged_in(server.url, "student")
    status, body = student_http.get(f"/proctor/sessions/{session_id}/")
    assert status == 200
    assert "ещё не проверил" in body.decode()
    status, body = proctor_http.get(f"/proctor/sessions/{session_id}/")
    assert status == 200
    episode_ids = [int(x) for x in _attr_values(body.decode(), "data-episode")]
    kinds = _attr_values(body.decode(), "data-kind")
    assert "no_face" in kinds
    assert "camera_lost" in kinds
    for episode_id, kind in zip(episode_ids, kinds, strict=True):
        decision = "confirmed" if episode_id == no_face["episode"]["id"] else "dismissed"
        status, _, answer = proctor_http.request(
            "POST",
            f"/proctor/episodes/{episode_id}/review/",
            f"decision={decision}&comment=&csrfmiddlewaretoken={proctor_http.cookies['csrftoken']}".encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        assert status == 200, kind
        assert json.loads(answer)["review"] == decision, kind
    status, _, _ = proctor_http.post_form(f"/proctor/sessions/{session_id}/verdict/", {"verdict": "warning"})
    assert status == 302

    status, body = proctor_http.get(f"/proctor/exams/{exam_id}/report.csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    confirmed = [r for r in rows[1:] if r[6] == "подтверждён"]
    assert [r[3] for r in confirmed] == ["нет лица в кадре"]
    assert confirmed[0][8] == "90"  # 100 - one confirmed no_face (weight 10); dismissed ones do not count
    status, pdf = proctor_http.get(f"/proctor/exams/{exam_id}/report.pdf")
    assert status == 200
    assert pdf.startswith(b"%PDF")

    # After review the student sees their own timeline, evidence included, and may comment on a flag.
    status, body = student_http.get(f"/proctor/sessions/{session_id}/")
    page_text = body.decode()
    assert status == 200
    assert "Балл доверия" in page_text
    assert "90" in page_text
    evidence_url = _attr_values(page_text, 'class="evidence" src')[0]
    assert student_http.get(evidence_url)[0] == 200
    status, _, _ = student_http.post_form(
        f"/proctor/episodes/{no_face['episode']['id']}/comment/", {"comment": "Я отходил за водой"}
    )
    assert status == 302
    assert "Я отходил за водой" in proctor_http.get(f"/proctor/sessions/{session_id}/")[1].decode()


def _attr_values(html: str, attribute: str) -> list[str]:
    return re.findall(re.escape(attribute) + r'="([^"]+)"', html)
