"""The embedded layout's channel layer (server.memory_layer): Channels' in-memory layer with its expiry scan at
most once per CLEAN_EVERY_SECONDS — same deliveries, same expiry, a log line where Channels drops silently."""

from __future__ import annotations

import logging

from channels.layers import get_channel_layer

from server import memory_layer
from server.memory_layer import MemoryChannelLayer


def test_the_embedded_layout_uses_it():
    assert isinstance(get_channel_layer(), MemoryChannelLayer)


async def test_a_group_message_reaches_every_member_once():
    layer = MemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    for channel in (a, b):
        await layer.group_add("room.1", channel)
    await layer.group_send("room.1", {"type": "x.y", "n": 1})
    await layer.group_send("room.2", {"type": "x.y", "n": 2})  # nobody there
    assert [await layer.receive(a), await layer.receive(b)] == [{"type": "x.y", "n": 1}] * 2
    assert layer.channels == {}  # nothing left queued, for the members or anyone else


async def test_expired_messages_and_memberships_still_go(monkeypatch):
    monkeypatch.setattr(memory_layer, "CLEAN_EVERY_SECONDS", 0.0)
    layer = MemoryChannelLayer(expiry=-1, group_expiry=-10)  # everything is already expired
    stale = await layer.new_channel()
    await layer.group_add("room.1", stale)
    await layer.send(stale, {"type": "x.y"})
    await layer.group_send("room.1", {"type": "x.z"})  # the scan runs first: nobody is left in the group
    assert stale not in layer.channels
    assert layer.groups["room.1"] == {}


async def test_a_full_channel_is_logged_not_raised(caplog):
    layer = MemoryChannelLayer(capacity=1)
    channel = await layer.new_channel()
    await layer.group_add("room.1", channel)
    with caplog.at_level(logging.WARNING, logger="server.memory_layer"):
        await layer.group_send("room.1", {"type": "x.y", "n": 1})
        await layer.group_send("room.1", {"type": "x.y", "n": 2})
    assert await layer.receive(channel) == {"type": "x.y", "n": 1}
    assert [r.getMessage() for r in caplog.records] == [
        f"channel {channel} of group room.1 is full: a message to it was dropped"
    ]
