"""Channels' in-memory layer (the embedded layout: one daphne, no Redis) without its per-call housekeeping.

``InMemoryChannelLayer`` scans every channel and every group membership for expired entries on each
``group_send`` and ``receive``: the cost of one send grows with the sockets of the process. Measured in the
small rooms of bench/chat_fanout.py (300 sockets, chat's unread counts pushed to every member of a room): the
scans were 40 % of daphne's event-loop CPU (cProfile; docs/benchmarks.md, "Chat send path on PostgreSQL").
Here the scan runs at most once per ``CLEAN_EVERY_SECONDS``: an expired message (60 s) or group membership
(a day) lives at most that much longer. ``group_send`` puts the message on each member's queue directly
instead of making a task per member, and says so in the log when a full channel refuses it (Channels drops
it silently; the behaviour is otherwise the same).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

CLEAN_EVERY_SECONDS = 1.0


class MemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + CLEAN_EVERY_SECONDS
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            try:
                await self.send(channel, message)
            except ChannelFull:
                log.warning("channel %s of group %s is full: a message to it was dropped", channel, group)
