"""A chat page whose daphne is killed (kill -9) reconnects through the edge to the other daphne and catches up by
seq: none of the messages sent meanwhile (through the surviving daphne, by another user) is lost or doubled, and
they stay in order. Real Chromium, two real daphne on one real Redis, a TCP edge in front as nginx is in the
cluster (web/static/js/socket.js reconnects to the same URL; the chat page resubscribes after its last seq)."""

from __future__ import annotations

import uuid

import pytest

from tests.chat.helpers import ChatSocket
from tests.support import setups
from tests.support.browser import login
from tests.support.edge import Edge

pytestmark = pytest.mark.browser

FAST = {"CHAT_RATE_PER_USER": "1000/1", "CHAT_RATE_PER_ROOM": "1000/1"}  # the teacher sends 30 in a row
BACK_WITHIN_MS = 60_000  # generous: the machine may be busy; socket.js retries within about 10 s


async def test_a_page_of_a_killed_daphne_catches_up_on_the_other_without_loss_or_doubles(
    daphne_factory, redis_server, live_env, browser
):
    web1, web2 = daphne_factory.several(2, redis_url=redis_server.url, extra_env=FAST)
    edge = await Edge([web1.port, web2.port]).start()
    try:
        key = uuid.uuid4().hex[:12]
        title = f"failover {key}"
        room = live_env.call(
            setups.chat_room, kind="lesson", key=key, title=title, members=["student"], moderators=["teacher"]
        )
        page = await (await browser.new_context()).new_page()
        await login(page, edge.url, "student")
        await page.goto(f"{edge.url}/chat/?room={room}")
        await page.locator("#connection-status[data-state=online]").wait_for()
        await page.locator("#room-title", has_text=title).wait_for()
        assert edge.connections[-1] == web1.port  # the page's socket is on web1

        teacher = await ChatSocket.open(web2.url, "teacher")
        sent = [f"сообщение {n}" for n in range(1, 31)]
        for text in sent[:10]:
            assert (await teacher.say(room, text))["type"] == "ack"
        await page.locator(".message .text", has_text=sent[9]).wait_for()

        web1.process.kill()  # kill -9: no close frame, no goodbye
        web1.process.wait()
        for text in sent[10:20]:  # while the page is away
            assert (await teacher.say(room, text))["type"] == "ack"
        await page.locator("#connection-status[data-state=online]").wait_for(timeout=BACK_WITHIN_MS)
        assert edge.connections[-1] == web2.port  # reconnected through the edge to the live daphne
        await page.locator(".message .text", has_text=sent[19]).wait_for(timeout=BACK_WITHIN_MS)
        for text in sent[20:]:  # live again
            assert (await teacher.say(room, text))["type"] == "ack"
        await page.locator(".message .text", has_text=sent[29]).wait_for()

        assert await page.locator(".message .text").all_inner_texts() == sent  # none lost, none doubled, in order
        await teacher.close()
    finally:
        await edge.stop()
