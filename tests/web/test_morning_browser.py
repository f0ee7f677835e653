"""Each role's morning in real Chromium against a real daphne (issue 15): log in, see what to do now, act on
one thing — on a phone's screen too — and nothing in the chats goes unnoticed. Screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.chat.helpers import ChatSocket
from tests.support import setups
from tests.support.browser import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def morning(live_env) -> dict[str, int]:
    return live_env.call(setups.school_morning)


async def open_as(browser, daphne_server, username: str, viewport: dict = DESKTOP):
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await login(page, daphne_server.url, username)
    return context, page


async def badge(page) -> int:
    """The header's unread count (0 while hidden)."""
    if await page.locator("#unread-badge").is_hidden():
        return 0
    return int(await page.locator("#unread-badge").inner_text())


async def until_badge(page, predicate, timeout_ms: int = 10000) -> int:
    for _ in range(timeout_ms // 100):
        value = await badge(page)
        if predicate(value):
            return value
        await page.wait_for_timeout(100)
    raise AssertionError(f"badge stayed at {await badge(page)}")


async def test_student_morning_on_a_phone(browser, daphne_server, morning, artifacts_dir):
    context, page = await open_as(browser, daphne_server, "student", PHONE)
    lessons = page.locator("#now-lessons")
    await lessons.get_by_role("link", name="Войти").first.wait_for()
    assert await lessons.locator(f'a[href="/lessons/{morning["lesson_now"]}/"]').count() == 1
    await page.locator("#now-exams").get_by_role("link", name="Начать экзамен").first.wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    header = await page.locator("#site-header").bounding_box()
    assert header["height"] < 80  # collapsed: brand, chats and the menu button in one row
    assert await page.locator(".site-menu nav").is_hidden()
    assert await until_badge(page, lambda n: n >= 1) >= 1
    await page.screenshot(path=str(artifacts_dir / "morning-student-phone.png"), full_page=True)
    await page.get_by_role("button", name="Меню").click()
    await page.locator(".site-menu nav").get_by_role("link", name="Онлайн-уроки").wait_for()
    assert await page.get_by_role("button", name="Меню").get_attribute("aria-expanded") == "true"
    await page.screenshot(path=str(artifacts_dir / "morning-student-phone-menu.png"))
    await page.get_by_role("button", name="Меню").click()

    # act: open the unread group chat from the home page; reading it empties the badge, live
    before = await badge(page)
    await page.locator("#now-unread").locator(f'a[href$="?room={morning["nine_chat"]}"]').click()
    await page.wait_for_url(f"**/chat/?room={morning['nine_chat']}")
    await until_badge(page, lambda n: n < before)
    await page.screenshot(path=str(artifacts_dir / "morning-student-chat-phone.png"))
    await context.close()


async def test_parent_morning_sees_own_child_and_is_told_of_a_room_they_cannot_read(
    browser, daphne_server, morning, artifacts_dir
):
    context, page = await open_as(browser, daphne_server, "parent")
    child = page.locator("section.child")
    assert await child.count() == 1  # one child, not 10Б's student
    await child.get_by_text("Алгебра").first.wait_for()
    assert await page.get_by_text("Химия 10Б").count() == 0
    questions = page.locator("#now-my-questions")
    await questions.get_by_text("Когда родительское собрание?").wait_for()
    await page.screenshot(path=str(artifacts_dir / "morning-parent.png"), full_page=True)
    # curious: another group's chat by its address
    await page.goto(f"{daphne_server.url}/chat/?room={morning['ten_chat']}")
    await page.get_by_role("heading", name="Этот чат вам недоступен").wait_for()
    assert await page.locator("#messages .message").count() == 0
    await page.screenshot(path=str(artifacts_dir / "morning-parent-foreign-room.png"))
    await context.close()


async def test_teacher_morning_starts_from_home_and_opens_a_sheet(browser, daphne_server, morning, artifacts_dir):
    context, page = await open_as(browser, daphne_server, "teacher")
    today = page.locator("#now-today")
    await today.get_by_role("link", name="Начать урок").first.wait_for()
    await today.get_by_text("Урок завершён").first.wait_for()
    await (
        page.locator("#now-to-review")
        .locator(f'a[href="/proctor/sessions/{morning["unreviewed_session"]}/"]')
        .wait_for()
    )
    await page.screenshot(path=str(artifacts_dir / "morning-teacher.png"), full_page=True)
    await page.locator("#now-sheets").locator(f'a[href="/lessons/runs/{morning["ended_run"]}/attendance/"]').click()
    await page.wait_for_url(f"**/lessons/runs/{morning['ended_run']}/attendance/")
    await context.close()


async def test_curator_answers_the_overdue_question_and_it_leaves_the_home(
    browser, daphne_server, morning, artifacts_dir
):
    context, page = await open_as(browser, daphne_server, "curator", PHONE)
    questions = page.locator("#now-questions")
    await questions.get_by_text("Когда родительское собрание?").wait_for()
    await page.screenshot(path=str(artifacts_dir / "morning-curator-phone.png"), full_page=True)
    await questions.get_by_role("link", name="Ответить").first.click()
    await page.wait_for_url(re.compile(rf"/chat/\?room={morning['question_room']}&seq=\d+$"))
    await page.locator("#composer-text").fill("Собрание в четверг в 18:00")
    await page.locator("#composer-send").click()
    await page.locator("#messages .message.mine:not(.pending)").last.wait_for()
    await page.goto(daphne_server.url + "/")
    await page.locator("#now-questions").wait_for()
    assert await page.locator("#now-questions").get_by_text("Когда родительское собрание?").count() == 0
    await context.close()


async def test_proctor_opens_the_sitting_and_the_director_sees_the_school(
    browser, daphne_server, morning, artifacts_dir
):
    context, page = await open_as(browser, daphne_server, "proctor")
    sitting = page.locator("#now-sittings").locator(f'a[href="/proctor/exams/{morning["exam"]}/dashboard/"]')
    await sitting.wait_for()
    await page.screenshot(path=str(artifacts_dir / "morning-proctor.png"), full_page=True)
    await sitting.click()
    await page.wait_for_url(f"**/proctor/exams/{morning['exam']}/dashboard/")
    await context.close()
    context, page = await open_as(browser, daphne_server, "director", PHONE)
    glance = page.locator("#now-glance")
    await glance.get_by_text("Просроченных вопросов родителей").wait_for()
    await page.screenshot(path=str(artifacts_dir / "morning-director-phone.png"), full_page=True)
    await context.close()


async def test_a_new_direct_chat_appears_at_once_and_the_badge_counts_live(
    browser, daphne_server, live_env, morning, artifacts_dir
):
    context, chat_page = await open_as(browser, daphne_server, "student2")
    await chat_page.goto(daphne_server.url + "/chat/")
    await chat_page.locator("#connection-status[data-state=online]").wait_for()
    home = await context.new_page()
    await home.goto(daphne_server.url + "/")
    await home.locator("#now-unread").wait_for()
    await home.wait_for_timeout(500)  # the counters' first state (chat.unread_all)
    before = await badge(home)

    student = await ChatSocket.open(daphne_server.url, "student")
    student2_id = live_env.call(setups.user_ids)["student2"]
    room = (await student.request({"type": "open_direct", "user": student2_id}, "room"))["room"]["id"]
    # the other person's open chat page lists the new chat without a reload
    await chat_page.locator(f'#room-list [data-room="{room}"]').wait_for()
    await student.subscribe(room)
    await student.say(room, "Привет! Ты сделала домашку?")
    await until_badge(home, lambda n: n == before + 1)
    await home.screenshot(path=str(artifacts_dir / "morning-badge-live.png"))
    await student.close()
    await context.close()


FAKE_BACKGROUND_TAB = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "default";
  static requestPermission() { window.Notification.permission = "granted"; return Promise.resolve("granted"); }
  constructor(title, options) { window.shownNotifications.push({ title, tag: options.tag }); }
  addEventListener() {}
};
Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
"""


async def test_a_background_tab_notifies_only_after_opting_in(browser, daphne_server, morning, artifacts_dir):
    context = await browser.new_context(viewport=DESKTOP)
    await context.add_init_script(FAKE_BACKGROUND_TAB)  # a tab in the background, the browser's prompt answered
    page = await context.new_page()
    await login(page, daphne_server.url, "student2")
    await page.locator("#now-unread").wait_for()
    teacher = await ChatSocket.open(daphne_server.url, "teacher")
    await teacher.subscribe(morning["nine_chat"])
    await teacher.say(morning["nine_chat"], "Без согласия уведомлять нельзя")
    await page.wait_for_timeout(1000)
    assert await page.evaluate("window.shownNotifications") == []

    toggle = page.get_by_role("button", name="Уведомлять в браузере")
    await toggle.click()
    await page.get_by_role("button", name="Не уведомлять в браузере").wait_for()
    await teacher.say(morning["nine_chat"], "А теперь можно")
    for _ in range(100):
        shown = await page.evaluate("window.shownNotifications")
        if shown:
            break
        await page.wait_for_timeout(100)
    assert shown == [{"title": "Новое сообщение в чате", "tag": f"chat-{morning['nine_chat']}"}]
    await teacher.close()
    await context.close()


async def test_the_composer_refuses_a_message_over_the_limit_and_says_the_limit(
    browser, daphne_server, morning, artifacts_dir
):
    context, page = await open_as(browser, daphne_server, "student", PHONE)
    await page.goto(f"{daphne_server.url}/chat/?room={morning['nine_chat']}")
    await page.locator("#composer-text:not([disabled])").wait_for()
    await page.locator("#composer-text").fill("а" * 4001)
    limit = page.locator("#composer-limit")
    await limit.wait_for()
    assert await limit.inner_text() == "Слишком длинное сообщение: 4001 символов, можно не больше 4000."
    assert await page.locator("#composer-send").is_disabled()
    assert len(await page.locator("#composer-text").input_value()) == 4001  # nothing cut silently
    await page.screenshot(path=str(artifacts_dir / "morning-composer-limit-phone.png"))
    await page.locator("#composer-text").press("Backspace")
    await limit.wait_for(state="hidden")
    assert await page.locator("#composer-send").is_enabled()
    await context.close()
