"""A real lesson: teacher and two students in Chromium (fake webcams), media through a real Janus,
all inside the private network namespace (scripts/in-private-network.sh: Janus cannot use loopback, and
media must not leave the machine)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support import paths, setups
from tests.support.waiting import wait_for

from .browsers import (
    SCREEN_ARGS,
    counter,
    inbound,
    open_room,
    pick,
    speaking_args,
    upscaled_y4m,
    wait_joined,
)
from .helpers import lesson_now

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.slow]


async def receiving_layer(student, teacher, choose) -> int:
    """The width the student decodes of the teacher's camera if it is the layer ``choose`` (min or max)
    picks among those the teacher's browser is sending now; otherwise 0."""
    sent = await teacher.evaluate(
        """async () => {
            const widths = [];
            (await window.lesson.published.camera.getStats()).forEach((s) => {
                if (s.type === "outbound-rtp" && s.kind === "video" && s.active !== false && s.frameWidth) {
                    widths.push(s.frameWidth);
                }
            });
            return widths;
        }"""
    )
    width = await counter(student, "frameWidth", role="teacher", source="camera", kind="video")
    return width if len(sent) > 1 and width == choose(sent) else 0


async def rising(page, field: str, seconds: float = 2.0, **match) -> int:
    before = await counter(page, field, **match)
    await asyncio.sleep(seconds)
    return await counter(page, field, **match) - before


async def test_lesson_with_teacher_and_two_students(
    private_network, daphne_factory, janus_server, browser_factory, live_env, tmp_path, artifacts_dir
):
    server = daphne_factory(extra_env=janus_server.env)
    janus_server.restart(event_backend=f"{server.url}/lessons/janus/events/")  # Janus's events now reach daphne
    lesson = lesson_now(live_env)
    browser = await browser_factory(
        fake_video=paths.testdata("video/clips/carphone.y4m"), extra_args=SCREEN_ARGS + speaking_args(tmp_path)
    )

    teacher = await open_room(browser, server.url, "teacher", lesson)
    await wait_joined(teacher)
    await teacher.click("#btn-screen")  # real getDisplayMedia (Chromium's fake screen)
    await wait_for(lambda: teacher.evaluate("!!window.lesson.published.screen"), what="screen published")
    joining = time.monotonic()  # student 1 joins between these two moments
    student1 = await open_room(browser, server.url, "student", lesson)
    me1 = await wait_joined(student1)
    joined = time.monotonic()
    student2 = await open_room(browser, server.url, "student2", lesson)
    me2 = await wait_joined(student2)

    # 1. Each student decodes the teacher's camera (frames keep rising) and gets the screen share.
    for page in (student1, student2):
        for source in ("camera", "screen"):
            await wait_for(
                lambda p=page, s=source: counter(p, "framesDecoded", role="teacher", source=s, kind="video"),
                what=f"teacher {source} frames",
            )
        assert await rising(page, "framesDecoded", role="teacher", source="camera", kind="video") > 5
        assert await rising(page, "framesDecoded", role="teacher", source="screen", kind="video") > 5
        assert await counter(page, "packetsReceived", role="teacher", source="camera", kind="audio") > 0

    # Who is speaking: Janus's audio-level events reach the others (the fake microphone beeps).
    await wait_for(
        lambda: student2.evaluate("window.lesson.participants.some(p => p.role === 'teacher' && p.talking)"),
        what="teacher shown as speaking",
    )

    chat_link = await student1.get_attribute("#chat-note a", "href")
    assert "/chat/?room=" in chat_link  # the lesson's chat room, opened in the chat page
    await teacher.screenshot(path=str(artifacts_dir / "lesson-teacher.png"), full_page=True)
    await student1.screenshot(path=str(artifacts_dir / "lesson-student.png"), full_page=True)

    # 2. The teacher mutes student 1: their audio stops reaching student 2 (Janus drops it).
    await wait_for(lambda: counter(student2, "packetsReceived", user=me1["user"], kind="audio"), what="s1 audio")
    assert await rising(student2, "packetsReceived", user=me1["user"], kind="audio") > 20
    await teacher.click(f'#participants li[data-user="{me1["user"]}"] button:text("Выключить микрофон")')
    await wait_for(lambda: student1.evaluate("window.lesson.blocked.audio"), what="student told about mute")
    assert await student1.inner_text("#btn-mic") == "Микрофон выключен учителем"  # not a broken «Включить»
    await asyncio.sleep(0.5)
    assert await rising(student2, "packetsReceived", user=me1["user"], kind="audio") <= 2
    assert await rising(student2, "framesDecoded", user=me1["user"], kind="video") > 5  # video still flows
    # ... and turns their camera off: Janus stops forwarding it too.
    await teacher.click(f'#participants li[data-user="{me1["user"]}"] button:text("Выключить камеру")')
    await wait_for(lambda: student1.evaluate("window.lesson.blocked.video"), what="student told about camera")
    assert await student1.inner_text("#btn-cam") == "Камера выключена учителем"
    await asyncio.sleep(0.5)
    assert await rising(student2, "framesDecoded", user=me1["user"], kind="video") <= 1

    # 3. The teacher removes student 2 and locks the lesson: student 2 is out and cannot come back.
    await teacher.click(f'#participants li[data-user="{me2["user"]}"] button:text("Удалить")')
    await wait_for(lambda: student2.evaluate("window.lesson.finished"), what="student 2 removed")
    assert await student2.locator("#lesson-layout").is_hidden()  # no controls or participants left to press
    assert await student2.locator("#participants li").count() == 0
    await teacher.check("#chk-lock")
    await wait_for(
        lambda: teacher.evaluate(f"!window.lesson.participants.some(p => p.user === {me2['user']})"),
        what="student 2 gone from the list",
    )
    await wait_for(
        lambda: student1.evaluate(f"![...window.lesson.feeds.values()].some(f => f.user === {me2['user']})"),
        what="student 2's feed gone from Janus",
    )
    await student2.reload()
    await wait_for(lambda: student2.evaluate("window.lesson.errors.length > 0"), what="refusal")
    refusal = await student2.evaluate("window.lesson.errors[0].error")
    assert refusal == "removed"
    assert not await student2.evaluate("window.lesson.joined")

    # 4. Closing student 1's tab takes them out of the room and closes the interval: the closed socket does it,
    # as the time-outs are far below the stale-presence fallback (Presence.STALE_AFTER, 70 s) and Janus's
    # 60 s session time-out.
    await asyncio.sleep(1.0)
    closing = time.monotonic()  # student 1 leaves between this moment and the teacher seeing them gone
    await student1.context.close()
    await wait_for(
        lambda: teacher.evaluate(f"!window.lesson.participants.some(p => p.user === {me1['user']})"),
        timeout=20,
        what="student 1 gone from the list",
    )
    gone = time.monotonic()
    await wait_for(
        lambda: teacher.evaluate(f"![...window.lesson.feeds.values()].some(f => f.user === {me1['user']})"),
        timeout=20,
        what="student 1's feed gone",
    )
    rows = attendance(live_env, lesson)
    assert rows["student"]["open_intervals"] == 0
    # The attendance counts exactly the time between joining and leaving: within the bounds the test observed
    # (0.5 s for the server's clock against ours), however long each step took on a busy machine.
    present = rows["student"]["seconds"]
    assert closing - joined - 0.5 <= present <= gone - joining + 0.5, (rows["student"], joining, joined, closing, gone)
    assert rows["student"]["status"] == "present"
    assert rows["student"]["media"] is True  # Janus's event handler reported the student's media up
    assert 0 < rows["student"]["media_seconds"] <= present  # minutes with media: within the minutes on the page
    assert rows["student2"]["removed"] is True
    assert pick(await inbound(teacher), user=me1["user"]) is None


def attendance(live_env, lesson: int) -> dict[str, dict]:
    """The attendance sheet as the server computes it, plus how many intervals are still open."""
    return live_env.call(setups.attendance, lesson=lesson)


async def test_simulcast_layers_and_janus_restart(
    private_network, daphne_factory, janus_server, browser_factory, live_env, tmp_path
):
    server = daphne_factory(extra_env=janus_server.env)
    lesson = lesson_now(live_env)
    camera = upscaled_y4m(paths.testdata("video/clips/carphone.y4m"), tmp_path / "carphone-big.y4m", factor=4)
    browser = await browser_factory(fake_video=camera)
    teacher = await open_room(browser, server.url, "teacher", lesson)
    await wait_joined(teacher)
    student = await open_room(browser, server.url, "student", lesson)
    await wait_joined(student)
    teacher_camera = {"role": "teacher", "source": "camera", "kind": "video"}
    await wait_for(lambda: counter(student, "framesDecoded", **teacher_camera), what="frames before restart")

    # Simulcast: «низкое» gets the student the narrowest layer the teacher's browser sends, «высокое» the
    # widest. Which layers Chromium sends depends on the resolution and its bandwidth and CPU estimates
    # (for this 704×576 camera usually 704 and 352 wide), so the test asks the sender each time.
    await student.select_option("#sel-quality", "0")
    low = await wait_for(lambda: receiving_layer(student, teacher, min), what="the narrowest simulcast layer")
    await student.select_option("#sel-quality", "2")
    high = await wait_for(lambda: receiving_layer(student, teacher, max), what="the widest simulcast layer")
    assert low < high
    assert await rising(student, "framesDecoded", **teacher_camera) > 5
    await student.select_option("#sel-quality", "auto")

    janus_server.restart()  # every Janus session and the room are gone
    await wait_for(
        lambda: student.evaluate("document.getElementById('status').textContent.includes('медиасервер')"),
        what="student told about the media server",
    )
    # Both browsers rejoin by themselves; the room is recreated and the teacher's camera flows again.
    await wait_for(lambda: counter(student, "framesDecoded", **teacher_camera), timeout=30, what="frames after restart")
    assert await rising(student, "framesDecoded", **teacher_camera) > 5
