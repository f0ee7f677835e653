"""A recorded lesson, end to end: the teacher switches Janus's recorder on, everyone (a late joiner too) is told,
the lesson ends, the server converts the recording with janus-pp-rec + PyAV, and the group plays it on the
lesson page with the lesson chat beside it — real Janus, daphne and Chromium with fake cameras, inside the
private network namespace."""

from __future__ import annotations

import asyncio
import io

import av
import pytest

from tests.support import paths, setups
from tests.support.client import logged_in
from tests.support.waiting import wait_for

from .browsers import SCREEN_ARGS, counter, open_room, speaking_args, wait_joined
from .helpers import lesson_now

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.slow]

RECORD_FOR_SECONDS = 6  # media flowing while recorded (not a timing assertion: the length of the test clip)


def badge_shown(page):
    return page.locator("#recording-badge").is_visible()


def recordings(live_env, lesson: int) -> list[dict]:
    return live_env.call(setups.lesson_recordings, lesson=lesson)


async def test_recorded_lesson_is_played_back_to_the_group_with_its_chat(
    private_network, daphne_factory, janus_server, browser_factory, live_env, tmp_path, artifacts_dir
):
    server = daphne_factory(extra_env=janus_server.env)
    lesson = lesson_now(live_env)
    live_env.call(setups.add_user, username="other10b", role="student", group="10Б")
    browser = await browser_factory(
        fake_video=paths.testdata("video/clips/carphone.y4m"), extra_args=SCREEN_ARGS + speaking_args(tmp_path)
    )
    teacher = await open_room(browser, server.url, "teacher", lesson)
    await wait_joined(teacher)
    student = await open_room(browser, server.url, "student", lesson)
    await wait_joined(student)
    await wait_for(lambda: counter(student, "framesDecoded", role="teacher", source="camera", kind="video"))
    assert not await badge_shown(student)
    assert await student.locator("#btn-record").count() == 0  # only the teacher switches it

    # 1. The teacher switches recording on: every page says so, a student who joins later too.
    await teacher.click("#btn-record")
    await wait_for(lambda: badge_shown(student), what="student told about the recording")
    await wait_for(lambda: badge_shown(teacher), what="teacher sees it recording")
    assert await student.inner_text("#recording-badge") == "Идёт запись"
    assert await teacher.inner_text("#btn-record") == "Остановить запись"
    late = await open_room(browser, server.url, "student2", lesson)
    await wait_joined(late)
    assert await badge_shown(late)  # from `joined`, not from a broadcast it missed
    await teacher.click("#btn-screen")
    await wait_for(lambda: teacher.evaluate("!!window.lesson.published.screen"), what="screen published")
    # The screen's media has passed Janus (and its recorder) once the student decodes it. The message is written
    # halfway through the recorded stretch: well into the screen share, so that a seek to it moves the screen too
    # (the player leaves the screen where it is when it is less than half a second off).
    await wait_for(
        lambda: counter(student, "framesDecoded", role="teacher", source="screen", kind="video"),
        what="the screen share reaching the student",
    )
    chat_room = int((await student.get_attribute("#chat-note a", "href")).rsplit("=", 1)[1])
    await asyncio.sleep(RECORD_FOR_SECONDS / 2)
    live_env.call(setups.post_messages, author="student", room=chat_room, texts=["Вопрос по задаче 3"])
    await asyncio.sleep(RECORD_FOR_SECONDS / 2)
    await student.screenshot(path=str(artifacts_dir / "lesson-recording-on-student.png"), full_page=True)

    # 2. The lesson ends; the recording is converted in the background.
    await teacher.evaluate("window.lesson.send({type: 'end'})")
    await wait_for(lambda: student.evaluate("window.lesson.finished"), what="lesson ended")
    assert "Запись урока появится на этой странице" in await student.inner_text("#status")
    assert not await badge_shown(student)
    stored = await wait_for(
        lambda: [r for r in recordings(live_env, lesson) if r["status"] in {"ready", "failed"}],
        timeout=120,
        interval=1,
        what="recording converted",
    )
    assert [r["status"] for r in stored] == ["ready"], stored
    facts = stored[0]
    assert facts["has_screen"]
    assert facts["duration_seconds"] >= RECORD_FOR_SECONDS - 1
    print(f"\nrecording: {facts}")

    # 3. The student plays it on the lesson page, the lesson chat of those minutes beside it.
    await student.goto(f"{server.url}/lessons/{lesson}/")
    player = student.locator(".recording-main")
    await player.wait_for()
    duration = await wait_for(
        lambda: student.evaluate("document.querySelector('.recording-main').duration"), what="player loaded"
    )
    assert duration > RECORD_FOR_SECONDS - 1
    assert "Вопрос по задаче 3" in await student.inner_text(".recording-chat")
    await student.evaluate("document.querySelector('.recording-main').play()")
    await wait_for(
        lambda: student.evaluate("document.querySelector('.recording-main').currentTime > 1"), what="playing"
    )
    # The screen share follows the player from the moment it started; a chat message's time seeks there.
    assert facts["screen_offset_seconds"] > 0  # shared after the recording began
    await student.evaluate(
        "(() => { const m = document.querySelector('.recording-main'); m.pause(); m.currentTime = 0; })()"
    )
    await wait_for(lambda: student.locator(".recording-screen").is_hidden(), what="no screen before it was shared")
    await student.click(".recording-messages .seek")  # the message was written after the screen share began
    said_at = float(await student.get_attribute(".recording-messages li", "data-at"))
    await wait_for(
        lambda: student.evaluate(
            "(() => { const s = document.querySelector('.recording-screen');"
            " return !s.closest('figure').hidden && s.currentTime > 0; })()"
        ),
        what="screen share shown in step",
    )
    assert await student.evaluate("document.querySelector('.recording-main').currentTime") >= said_at - 1
    assert said_at > facts["screen_offset_seconds"]
    await student.screenshot(path=str(artifacts_dir / "lesson-recording-playback.png"), full_page=True)

    # 4. The file: whole (200), a range (206) for seeking, and a real WebM with video and the voices.
    url = await player.get_attribute("src")
    as_student = logged_in(server.url, "student")
    status, headers, body = as_student.request("GET", url)
    assert (status, headers["content-type"], headers["accept-ranges"]) == (200, "video/webm", "bytes")
    assert len(body) == facts["size_bytes"] - (await screen_size(as_student, student))
    status, headers, part = as_student.request("GET", url, headers={"Range": "bytes=100-1099"})
    assert (status, headers["content-range"], part) == (206, f"bytes 100-1099/{len(body)}", body[100:1100])
    with av.open(io.BytesIO(body)) as container:
        kinds = sorted(s.type for s in container.streams)
        assert kinds == ["audio", "video"]
        assert container.duration
        assert container.duration / av.time_base > RECORD_FOR_SECONDS - 1
        frame = next(container.decode(video=0))
        assert frame.width > 0

    # 5. Nobody else: a student of another group is refused, an anonymous visitor sent to log in.
    status, _, _ = logged_in(server.url, "other10b").request("GET", url)
    assert status == 403
    status, headers, _ = type(as_student)(server.url).request("GET", url)
    assert status == 302
    assert "/accounts/login/" in headers["location"]


async def screen_size(session, page) -> int:
    """Bytes of the screen share's file (the stored size counts both files)."""
    src = await page.get_attribute(".recording-screen", "src")
    status, _, body = session.request("GET", src)
    assert status == 200
    return len(body)
