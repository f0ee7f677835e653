"""The Redis channel layer (server.redis_layer) on a real redis-server: a message that reaches a process for a
channel whose consumer has gone is buffered by channels-redis for ever; ours drops such a buffer once nobody has
received from its channel for a while, and never the buffer of a channel someone is waiting on."""

from __future__ import annotations

import asyncio
import time

from server.redis_layer import ORPHANED_AFTER, SWEEP_EVERY, RedisChannelLayer


async def test_a_gone_consumer_s_buffer_is_dropped_and_a_waiting_one_s_is_kept(redis_server):
    layer = RedisChannelLayer(hosts=[redis_server.url])
    try:
        gone, alive, waiting = [await layer.new_channel() for _ in range(3)]
        waiter = asyncio.ensure_future(layer.receive(waiting))
        await layer.send(gone, {"type": "late.news"})  # its socket closed while this was on its way
        await layer.send(alive, {"type": "news"})
        assert (await asyncio.wait_for(layer.receive(alive), 10))["type"] == "news"
        assert gone in layer.receive_buffer  # popped with the process's other messages, for nobody

        now = time.monotonic()
        layer.sweep_orphaned_buffers(now + SWEEP_EVERY)  # first seen without a receiver
        assert gone in layer.receive_buffer
        layer.sweep_orphaned_buffers(now + SWEEP_EVERY + ORPHANED_AFTER)
        assert gone not in layer.receive_buffer
        assert waiting in layer.receive_buffer  # its receiver is waiting: kept however long it waits

        await layer.send(waiting, {"type": "at.last"})
        assert (await asyncio.wait_for(waiter, 10))["type"] == "at.last"
    finally:
        await layer.flush()
        await layer.close_pools()
