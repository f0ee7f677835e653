"""Real Chromium against a real daphne: the Russian login page, a student's home page, English switch."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


async def test_student_logs_in_and_lands_on_home(browser, daphne_server, artifacts_dir):
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone screen
    page = await context.new_page()
    await page.goto(daphne_server.url + "/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert await page.locator("html").get_attribute("lang") == "ru"
    await page.get_by_role("heading", name="Вход в Classroom Live").wait_for()
    await page.get_by_label("Логин").fill("student")
    await page.get_by_label("Пароль").fill("student-demo")
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("heading", name="Здравствуйте, Иван!").wait_for()
    assert page.url == daphne_server.url + "/"
    assert "Ученик" in await page.locator(".roles").inner_text()
    no_horizontal_scroll = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_horizontal_scroll
    await page.screenshot(path=str(artifacts_dir / "student-home.png"), full_page=True)

    await page.get_by_role("button", name="Меню").click()  # a phone's header keeps the languages in its menu
    await page.select_option("#lang-select", "en")
    await page.get_by_role("heading", name="Hello, Иван!").wait_for()
    assert await page.locator("html").get_attribute("lang") == "en"
    await context.close()
