"""Every socket's limits are one budget across daphne processes when Redis is configured (server.ws.rate,
``JsonProtocolConsumer.frame_limit``): a client that spreads its frames over two real daphne on one real Redis is
refused by both once the budget is spent, where counting per process would let it send twice as much."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from tests.lessons.helpers import lesson_now
from tests.support.client import logged_in, receive_json


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


async def test_a_user_spreading_frames_over_two_processes_is_limited_once(daphne_factory, redis_server, live_env):
    servers = [daphne_factory(redis_url=redis_server.url) for _ in range(2)]

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
