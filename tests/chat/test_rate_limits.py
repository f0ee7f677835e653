"""Chat's rate limits (issue 11 point 8): a room's budget is spent only by those who may write there, and with
Redis every process counts against one budget; Redis failing counts in the process and closes nothing."""

from __future__ import annotations

import pytest

from server.ws import ProtocolError, RateLimit
from tests.chat.helpers import ChatSocket, make_room


async def test_a_non_member_cannot_use_up_a_rooms_limit(daphne_factory, live_env):
    server = daphne_factory(extra_env={"CHAT_RATE_PER_ROOM": "3/600", "CHAT_RATE_PER_USER": "1000/1"})
    room = make_room(live_env, "lesson", ["student"], ["teacher"])
    outsider = await ChatSocket.open(server.url, "parent2")
    for _ in range(5):
        refused = await outsider.say(room, "чужое")
        assert refused["type"] == "error"
        assert refused["error"] != "rate_limited"
    member = await ChatSocket.open(server.url, "student")
    assert (await member.say(room, "своё"))["type"] == "ack"
    for socket in (outsider, member):
        await socket.close()


async def test_limits_are_shared_by_the_processes_on_redis(daphne_factory, redis_server, live_env):
    limits = {"CHAT_RATE_PER_USER": "3/600", "CHAT_RATE_PER_ROOM": "1000/1"}
    server_a, server_b = daphne_factory.several(2, redis_url=redis_server.url, extra_env=limits)
    room = make_room(live_env, "lesson", ["student"], ["curator"])
    on_a = await ChatSocket.open(server_a.url, "curator")
    on_b = await ChatSocket.open(server_b.url, "curator")
    for number in range(3):
        assert (await on_a.say(room, f"A {number}"))["type"] == "ack"
    refused = await on_b.say(room, "B")
    assert refused["type"] == "error"
    assert refused["error"] == "rate_limited"
    await on_b.send({"type": "ping"})
    assert (await on_b.expect("pong"))["type"] == "pong"  # refused, not closed
    for socket in (on_a, on_b):
        await socket.close()


async def test_redis_down_counts_in_this_process(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    limit = RateLimit("probes", 2, 600)
    await limit.take_shared("k")
    await limit.take_shared("k")
    with pytest.raises(ProtocolError) as refused:
        await limit.take_shared("k")
    assert refused.value.code == "rate_limited"
