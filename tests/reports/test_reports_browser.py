"""Real Chromium: an administrator reads a group's monthly attendance on a phone, explains an absence on the
student's page, and downloads the XLSX; screenshots in test-artifacts/."""

from __future__ import annotations

import random

import pytest

from tests.support import setups
from tests.support.browser import login

pytestmark = pytest.mark.browser

NOVEMBER = "?period=month&date=2026-11-18"


async def test_admin_reads_attendance_and_explains_an_absence(browser, daphne_server, live_env, artifacts_dir):
    tail = "".join(random.choice("abcdefghkmnpqrstuvwxyz") for _ in range(6))  # the live database is shared
    students = [f"rep{tail}{n}" for n in range(3)]
    for login_name in students:
        live_env.call(setups.add_user, username=login_name, role="student")
    group = f"Отчёт {tail}"
    live_env.call(setups.group_with, name=group, students=students, parents={})
    group_id = live_env.call(
        setups.held_lessons,
        group=group,
        teacher="teacher",
        days=["2026-11-10", "2026-11-17"],
        present={students[0]: [0, 1], students[1]: [0]},
    )
    ids = live_env.call(setups.user_ids)

    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone screen
    page = await context.new_page()
    await login(page, daphne_server.url, "admin")
    await page.goto(f"{daphne_server.url}/reports/attendance/group/{group_id}/{NOVEMBER}")
    table = page.locator("#report tbody tr")
    await table.first.wait_for()
    assert await table.count() == 3
    absent_twice = await page.locator("#report tbody tr", has_text=students[2]).inner_text()
    assert absent_twice.split("\t")[2:6] == ["2", "0", "0", "2"]  # lessons, present, late, absent
    await page.screenshot(path=str(artifacts_dir / "report-group-attendance-phone.png"), full_page=True)

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{daphne_server.url}/reports/attendance/student/{ids[students[1]]}/{NOVEMBER}")
    form = page.locator("form.reason-form")
    assert await form.count() == 1  # one absence, on the 17th
    await form.locator("select[name=reason]").select_option("illness")
    await form.locator("input[name=note]").fill("справка")
    await form.locator("button").click()
    await page.get_by_text("Причина отсутствия сохранена.").wait_for()
    assert "справка" in await page.locator("form.reason-form input[name=note]").input_value()
    await page.screenshot(path=str(artifacts_dir / "report-student-attendance.png"), full_page=True)

    async with page.expect_download() as download_info:
        await page.goto(f"{daphne_server.url}/reports/attendance/group/{group_id}/{NOVEMBER}")
        await page.locator("a[data-format=xlsx]").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    await context.close()
