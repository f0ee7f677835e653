"""Real Chromium: the login sheet after a CSV import is one cut-out slip per person, and prints as slips."""

from __future__ import annotations

import random

import pytest

from tests.support.browser import login

pytestmark = pytest.mark.browser

CYRILLIC = "абвгдежзиклмнопрстуфхцчшэюя"


async def test_curator_prints_one_slip_per_person(browser, daphne_server, artifacts_dir, tmp_path):
    tail = "".join(random.choice(CYRILLIC) for _ in range(6))  # a fresh surname per run: the database is shared
    names = [f"Слипов{tail} Артём", f"Слипова{tail} Вера", f"Слипов{tail} Глеб"]
    rows = [f"ученик;{name};9А;" for name in names] + [f"родитель;Слипова{tail} Ирина;;{names[0]}"]
    upload = tmp_path / "list.csv"
    upload.write_text("role;full_name;group;parent_of\n" + "\n".join(rows) + "\n", encoding="utf-8")

    context = await browser.new_context(viewport={"width": 1024, "height": 900})
    page = await context.new_page()
    await login(page, daphne_server.url, "curator")
    await page.goto(daphne_server.url + "/accounts/import/")
    await page.set_input_files("input[type=file]", str(upload))
    await page.click("main button[type=submit]")
    await page.locator(".slip").first.wait_for()

    slips = page.locator(".slip")
    assert await slips.count() == 4
    for index in range(4):
        slip = slips.nth(index)
        text = await slip.inner_text()
        assert text.count(tail) >= 1
        assert daphne_server.url + "/accounts/login/" in text
        assert await slip.locator("svg.slip-qr").count() == 1
        assert len(await slip.locator(".slip-password").inner_text()) == 10
    await page.screenshot(path=str(artifacts_dir / "login-slips.png"), full_page=True)

    await page.emulate_media(media="print")
    assert not await page.locator(".site-header").is_visible()  # on paper: only the slips
    assert not await page.locator("button[data-print]").is_visible()
    style = await slips.first.evaluate("e => [getComputedStyle(e).borderTopStyle, getComputedStyle(e).breakInside]")
    assert style == ["dashed", "avoid"]  # the cut line; a slip is never split across two pages
    await page.screenshot(path=str(artifacts_dir / "login-slips-print.png"), full_page=True)
    await page.pdf(path=str(artifacts_dir / "login-slips.pdf"), format="A4")
    await context.close()
