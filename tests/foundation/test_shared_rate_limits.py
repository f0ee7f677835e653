"""Every socket's limits are one budget across daphne processes when Redis is configured (server.ws.rate,
``JsonProtocolConsumer.frame_limit``): a client that spreads its frames over two real daphne on one real Redis is
refused by both once the budget is spent, where counting per process would let it send twice as much; an exam
page that moves to the other process keeps the budget it spent."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from tests.exams.helpers import open_session
from tests.lessons.helpers import lesson_now
from tests.support import setups
from tests.support.client import logged_in, receive_json

BROWSER_EVENT_BURST = 20  # proctor.media.exam_socket.BROWSER_EVENT_RATE


async def spread(sockets: list, frame: dict, count: int) -> list[Counter]:
    """Send ``frame`` ``count`` times, taking turns over ``sockets``; per socket, the answers' error codes."""
    answers = [Counter() for _ in sockets]
    for number in range(count):
        turn = number % len(sockets)
        await sockets[turn].send(json.dumps(frame))
        answer = await receive_json(sockets[turn])
        answers[turn][answer.get("error", answer["type"])] += 1
    return answers


async def open_on_both(servers, username: str, path: str) -> list:
    """One socket of the same user on each process."""
    return [await logged_in(server.url, username).websocket(path) for server in servers]


async def browser_events(server, session_id: int, count: int) -> Counter:
    """Open the exam session's socket on ``server`` and send ``count`` browser events; the answers by kind."""
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(ws))["type"] == "session.state"
    answers = (await spread([ws], {"type": "browser_event", "event": "tab_hidden"}, count))[0]
    await ws.close()
    return answers


async def test_a_user_spreading_frames_over_two_processes_is_limited_once(daphne_factory, redis_server, live_env):
    servers = daphne_factory.several(2, redis_url=redis_server.url)

    # The notifications socket: bursts of 60.
    sockets = await open_on_both(servers, "student", "/ws/notifications/")
    answers = await spread(sockets, {"type": "no.such.type"}, 120)
    for answer in answers:
        assert answer["rate_limited"] > 0  # each process refuses: the budget was spent on both
        assert answer["unknown_type"] > 0
    assert sum(a["unknown_type"] for a in answers) < 120
    for socket in sockets:
        await socket.send(json.dumps({"type": "no.such.type"}))
        assert (await receive_json(socket))["type"] == "error"  # refused, never closed

    # The lesson socket: bursts of 120 ('not_joined' answers each frame the limit lets through).
    lesson = lesson_now(live_env)
    sockets += await open_on_both(servers, "student", f"/ws/lessons/{lesson}/")
    answers = await spread(sockets[2:], {"type": "ping"}, 240)
    for answer in answers:
        assert answer["rate_limited"] > 0
        assert answer["not_joined"] > 0
    assert sum(a["not_joined"] for a in answers) < 240
    await asyncio.gather(*(socket.close() for socket in sockets))

    # The exam socket (one per session: a second replaces the first): the page moves from A to B.
    exam = live_env.call(
        setups.open_exam, title="Алгебра", minutes=30, policy={}, student="student", reference="", consent=True
    )
    session_id = await open_session(servers[0], exam)
    assert await browser_events(servers[0], session_id, BROWSER_EVENT_BURST) == {"event.recorded": BROWSER_EVENT_BURST}
    on_b = await browser_events(servers[1], session_id, BROWSER_EVENT_BURST + 5)
    # Counted per process, B would record a whole burst (20 of 25); shared, only what refilled meanwhile.
    assert on_b["event.recorded"] < BROWSER_EVENT_BURST
    assert on_b["rate_limited"] > 5
