"""Real Chromium, real daphne: a curator and a parent chat in the web UI — messages, typing, read receipts,
a photo, a blocked message's reason, and resync after the socket drops."""

from __future__ import annotations

import io

import pytest
from PIL import Image

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def direct_room(live_env) -> int:
    out = live_env.shell(
        "from chat.rooms import open_direct; from server.accounts.models import User; "
        "u = User.objects.get; print(open_direct(u(username='parent'), u(username='curator')).pk)"
    )
    return int(out.split()[-1])


async def logged_in_page(browser, base_url: str, username: str, phone: bool = False):
    viewport = {"width": 390, "height": 844} if phone else {"width": 1200, "height": 800}
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(base_url + "/accounts/login/")
    await page.get_by_label("Логин").fill(username)
    await page.get_by_label("Пароль").fill(f"{username}-demo")
    await page.get_by_role("button", name="Войти").click()
    await page.wait_for_url(base_url + "/")
    return context, page


async def open_chat(page, base_url: str, room: int) -> None:
    await page.goto(f"{base_url}/chat/?room={room}")
    await page.locator("#connection-status[data-state=online]").wait_for()
    await page.locator("#room-title", has_text="Иванова").wait_for()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "green").save(out, "PNG")
    return out.getvalue()


async def test_curator_and_parent_chat_with_typing_receipts_photo_and_resync(
    browser, daphne_server, direct_room, artifacts_dir, tmp_path
):
    base = daphne_server.url
    curator_context, curator = await logged_in_page(browser, base, "curator")
    parent_context, parent = await logged_in_page(browser, base, "parent", phone=True)
    try:
        await open_chat(curator, base, direct_room)
        await open_chat(parent, base, direct_room)

        # typing indicator, then the message itself
        await parent.get_by_label("Сообщение", exact=True).press_sequentially("Здравствуйте", delay=20)
        await curator.locator("#typing", has_text="печатает").wait_for()
        await parent.get_by_label("Сообщение", exact=True).fill("Здравствуйте! Когда собрание?")
        await parent.get_by_role("button", name="Отправить").click()
        incoming = curator.locator(".message", has_text="Когда собрание?")
        await incoming.wait_for()
        assert "Иванова" in await incoming.locator(".author").inner_text()
        assert "Когда собрание?" in await curator.locator("#announcer").inner_text()  # aria-live announcement

        # the curator (reading) answers; the parent's receipt turns to "read"
        await (
            parent.locator(".message.mine", has_text="Когда собрание?")
            .locator(".receipts", has_text="Прочитано")
            .wait_for()
        )
        await curator.get_by_label("Сообщение", exact=True).fill("Добрый день! В четверг в 18:00.")
        await curator.keyboard.press("Enter")
        await parent.locator(".message", has_text="В четверг в 18:00").wait_for()
        await (
            curator.locator(".message.mine", has_text="В четверг").locator(".receipts", has_text="Прочитано").wait_for()
        )

        # a photo from the parent reaches the curator as a thumbnail
        picture = tmp_path / "доска.png"
        picture.write_bytes(photo_bytes())
        await parent.locator("#composer-files").set_input_files(str(picture))
        await parent.locator("#uploads", has_text="готово").wait_for()
        await parent.get_by_role("button", name="Отправить").click()
        thumbnail = curator.locator(".attachment.image img[alt='доска.png']")
        await thumbnail.wait_for()
        assert await thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")

        # a rude message is not delivered and the sender sees why
        await parent.get_by_label("Сообщение", exact=True).fill("ты идиот")
        await parent.get_by_role("button", name="Отправить").click()
        blocked = parent.locator(".message.failed [role=alert]")
        await blocked.wait_for()
        assert "оскорбл" in (await blocked.inner_text()).lower()

        # the curator's socket drops; what the parent sends meanwhile arrives after the reconnect
        await curator.evaluate("window.chatApp.conn.drop()")
        await parent.get_by_label("Сообщение", exact=True).fill("Спасибо, будем!")
        await parent.get_by_role("button", name="Отправить").click()
        await curator.locator(".message", has_text="Спасибо, будем!").wait_for()
        await curator.locator("#connection-status[data-state=online]").wait_for()
        texts = await curator.locator(".message .text").all_inner_texts()
        assert texts.count("Спасибо, будем!") == 1
        assert not any("идиот" in text for text in texts)

        await curator.screenshot(path=str(artifacts_dir / "chat-curator.png"))
        await parent.screenshot(path=str(artifacts_dir / "chat-parent-phone.png"))
        fits = await parent.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the chat must fit a phone screen without horizontal scrolling"
    finally:
        await curator_context.close()
        await parent_context.close()
