"""Real Chromium, real daphne: a curator and a parent chat in the web UI — messages, typing, read receipts,
a photo, a blocked message's reason, and resync after the socket drops."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.chat.helpers import make_room
from tests.support import setups
from tests.support.browser import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def direct_room(live_env) -> int:
    return live_env.call(setups.direct_chat, first="parent", second="curator")


async def logged_in_page(browser, base_url: str, username: str, phone: bool = False):
    viewport = {"width": 390, "height": 844} if phone else {"width": 1200, "height": 800}
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await login(page, base_url, username)
    return context, page


async def open_chat(page, base_url: str, room: int, title: str) -> None:
    await page.goto(f"{base_url}/chat/?room={room}")
    await page.locator("#connection-status[data-state=online]").wait_for()
    await page.locator("#room-title", has_text=title).wait_for()
    # members arrive after the subscription is live (the server handles a socket's frames in order)
    await page.locator("#room-info", has_text="Участники").wait_for()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "green").save(out, "PNG")
    return out.getvalue()


async def test_curator_and_parent_chat_with_typing_receipts_photo_and_resync(
    browser, daphne_server, live_env, direct_room, artifacts_dir, tmp_path
):
    base = daphne_server.url
    curator_context, curator = await logged_in_page(browser, base, "curator")
    parent_context, parent = await logged_in_page(browser, base, "parent", phone=True)
    try:
        await open_chat(curator, base, direct_room, "Иванова Елена Викторовна")  # a private chat shows the other person
        await open_chat(parent, base, direct_room, "Кураторова Ольга Николаевна")

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

        # the parent edits, then deletes a message; the curator reports one and sees the change live
        parent.on("dialog", lambda dialog: dialog.accept())
        mine = parent.locator(".message.mine", has_text="Спасибо, будем!")
        await mine.get_by_role("button", name="Изменить").click()
        await parent.get_by_label("Сообщение", exact=True).fill("Спасибо, будем вдвоём!")
        await parent.get_by_role("button", name="Сохранить").click()
        await curator.locator(".message", has_text="Спасибо, будем вдвоём!").locator(".edited").wait_for()
        photo_message = parent.locator(".message.mine", has_text="доска.png")
        await photo_message.get_by_role("button", name="Удалить").click()
        await curator.locator(".message .text.deleted").wait_for()
        assert await curator.locator(".attachment.image").count() == 0
        answers = ["проверка жалобы", "30"]  # the report's reason, then minutes of mute
        curator.on("dialog", lambda dialog: dialog.accept(answers.pop(0)))
        await curator.locator(".message", has_text="будем вдвоём").get_by_role("button", name="Пожаловаться").click()
        await curator.locator("#typing", has_text="Жалоба отправлена").wait_for()

        # group chat: an unread badge for the parent, then "who has read this" for the curator
        await curator.locator(".room", has_text="9А: родители").click()
        await curator.locator("#room-title", has_text="9А: родители").wait_for()
        await curator.get_by_label("Сообщение", exact=True).fill("Уважаемые родители, собрание в четверг.")
        await curator.get_by_role("button", name="Отправить").click()
        await parent.get_by_role("button", name="← Чаты").click()
        badge = parent.locator(".room", has_text="9А: родители").locator(".badge")
        await badge.wait_for()
        assert await badge.inner_text() == "1"
        await parent.locator(".room", has_text="9А: родители").click()
        await parent.locator(".message", has_text="собрание в четверг").wait_for()
        await badge.wait_for(state="detached")
        receipt = curator.locator(".message.mine", has_text="собрание в четверг").locator(".receipts")
        await receipt.filter(has_text="Прочитали: 1").wait_for()
        await receipt.click()
        await curator.get_by_role("dialog").get_by_text("Иванова Елена Викторовна").wait_for()
        await curator.screenshot(path=str(artifacts_dir / "chat-receipts.png"))
        await curator.get_by_role("button", name="Закрыть").click()

        # the parent replies with a quote; the curator (moderator of the parents' chat) mutes the parent
        await parent.locator(".message", has_text="собрание в четверг").get_by_role("button", name="Ответить").click()
        await parent.get_by_label("Сообщение", exact=True).fill("Придём!")
        await parent.get_by_role("button", name="Отправить").click()
        reply = curator.locator(".message", has_text="Придём!")
        await reply.locator(".quote", has_text="собрание в четверг").wait_for()
        await reply.get_by_role("button", name="Запретить писать").click()
        await parent.locator("#chat-error", has_text="запретил вам писать").wait_for()
        await parent.get_by_label("Сообщение", exact=True).fill("Можно ещё вопрос?")
        await parent.get_by_role("button", name="Отправить").click()
        await parent.locator(".message.failed [role=alert]", has_text="запретил вам писать").wait_for()

        await curator.screenshot(path=str(artifacts_dir / "chat-curator.png"))
        await parent.screenshot(path=str(artifacts_dir / "chat-parent-phone.png"))
        fits = await parent.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the chat must fit a phone screen without horizontal scrolling"

        await parent.get_by_role("button", name="Меню").click()  # a phone's header keeps the languages in its menu
        await parent.select_option("#lang-select", "en")
        await parent.locator("html[lang=en]").wait_for(state="attached")
        await parent.locator("#connection-status", has_text="Online").wait_for()
        await parent.get_by_role("button", name="← Chats").wait_for()  # the reloaded page reopens the chat
    finally:
        await curator_context.close()
        await parent_context.close()
        live_env.call(setups.unmute_everyone)  # shared school


async def test_history_pages_back_when_scrolled_to_the_top(browser, daphne_server, live_env):
    room = make_room(live_env, "lesson", ["parent"], ["teacher"])
    live_env.call(setups.post_messages, author="teacher", room=room, texts=[f"Задание номер {n}" for n in range(1, 71)])
    context, page = await logged_in_page(browser, daphne_server.url, "parent", phone=True)
    try:
        await page.goto(f"{daphne_server.url}/chat/?room={room}")
        await page.locator(".message", has_text="Задание номер 70").wait_for()
        exact = lambda n: page.locator(".message .text", has_text=re.compile(rf"^Задание номер {n}$"))  # noqa: E731
        assert await exact(5).count() == 0  # only the newest page
        await page.locator("#messages").evaluate("log => { log.scrollTop = 0; }")
        await exact(1).wait_for()
        texts = await page.locator(".message .text").all_inner_texts()
        assert texts == [f"Задание номер {n}" for n in range(1, 71)]
        assert await page.locator("#history-sentinel").inner_text() == "Начало переписки"
    finally:
        await context.close()
