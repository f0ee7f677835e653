"""A lesson survives the death of its Janus: two real Janus instances, two daphne processes on Redis, a teacher
and a student in Chromium (fake webcams) on different daphne; ``kill -9`` of the Janus holding the lesson →
both pages are back with media through the other instance (lessons.janus_placement, rtc.janus.health)."""

from __future__ import annotations

import time

import pytest

from tests.support import paths, setups
from tests.support.waiting import wait_for

from .browsers import inbound, open_room, wait_joined
from .helpers import expect, join, lesson_now, send

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.slow]

BACK_WITHIN = 60.0  # seconds: generous for a busy machine; the recovery time is printed, not asserted
# A frozen Janus is found by the health check (two unanswered pings, about 5 s); without it a session would
# notice only at its long-poll's 40 s time-out (rtc.janus.client.LONG_POLL_TIMEOUT).
TOLD_WITHIN = 25.0


async def frames_from(page, role: str, old_feeds: set[int]) -> int:
    """Video frames the page decoded from ``role``'s camera on a subscription made after ``old_feeds``."""
    rows = [r for r in await inbound(page) if r["feed"] not in old_feeds and r["kind"] == "video"]
    return sum(r["framesDecoded"] for r in rows if r["role"] == role and r["source"] == "camera")


async def feeds(page) -> set[int]:
    return set(await page.evaluate("[...window.lesson.subs.keys()]"))


async def test_a_lesson_moves_to_a_live_janus_when_its_janus_is_killed(
    private_network, redis_server, daphne_factory, janus_server, browser_factory, live_env, tmp_path
):
    second = janus_server.sibling(tmp_path / "janus2")
    try:
        janus_env = {**janus_server.env, "JANUS_URLS": f"{janus_server.config.api_url},{second.config.api_url}"}
        web1, web2 = daphne_factory.several(2, redis_url=redis_server.url, extra_env=janus_env)
        lesson = lesson_now(live_env)
        browser = await browser_factory(fake_video=paths.testdata("video/clips/carphone.y4m"))
        teacher = await open_room(browser, web1.url, "teacher", lesson)
        await wait_joined(teacher)
        student = await open_room(browser, web2.url, "student", lesson)
        await wait_joined(student)
        await wait_for(lambda: frames_from(student, "teacher", set()), what="student sees the teacher")
        await wait_for(lambda: frames_from(teacher, "student", set()), what="teacher sees the student")

        placed = live_env.call(setups.janus_instance, lesson=lesson)
        holder, other = (janus_server, second) if placed == janus_server.config.api_url else (second, janus_server)
        assert placed == holder.config.api_url
        old = {"teacher": await feeds(teacher), "student": await feeds(student)}

        killed = time.monotonic()
        holder.kill()
        await wait_for(
            lambda: frames_from(student, "teacher", old["student"]), BACK_WITHIN, what="student sees the teacher again"
        )
        await wait_for(
            lambda: frames_from(teacher, "student", old["teacher"]), BACK_WITHIN, what="teacher sees the student again"
        )
        print(f"both pages had media again {time.monotonic() - killed:.1f} s after kill -9 of the lesson's Janus")

        assert live_env.call(setups.janus_instance, lesson=lesson) == other.config.api_url
    finally:
        second.stop()


async def test_a_lesson_leaves_a_janus_that_stops_answering(daphne_factory, janus_server, live_env, tmp_path):
    """A hung Janus (or a host gone from the network) resets no connection: the health check finds it, the
    sessions on it are given up, and the lesson moves (protocol clients, no media)."""
    second = janus_server.sibling(tmp_path / "janus2")
    try:
        urls = f"{janus_server.config.api_url},{second.config.api_url}"
        server = daphne_factory(extra_env={**janus_server.env, "JANUS_URLS": urls})
        lesson = lesson_now(live_env)
        teacher, _ = await join(server.url, "teacher", lesson)
        student, _ = await join(server.url, "student", lesson)
        placed = live_env.call(setups.janus_instance, lesson=lesson)
        holder, other = (janus_server, second) if placed == janus_server.config.api_url else (second, janus_server)

        holder.freeze()
        for ws in (teacher, student):
            assert (await expect(ws, "media.lost", timeout=TOLD_WITHIN))["type"] == "media.lost"
        for ws in (teacher, student):
            await send(ws, {"type": "join"})
            assert (await expect(ws, "joined"))["lesson"]["id"] == lesson
        assert live_env.call(setups.janus_instance, lesson=lesson) == other.config.api_url
        for ws in (teacher, student):
            await ws.close()
    finally:
        for janus in (janus_server, second):
            janus.freeze(False)
        second.stop()
