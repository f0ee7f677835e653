"""channels-redis's layer with three fixes for this stack (channels-redis 4.3, redis-py 8).

A process receives all its process-local channels through one Redis list, read by whichever receiver holds
the layer's receive lock; the holder blocks in a pop of ``brpop_timeout`` seconds per turn, and puts every
message it pops into the buffer of the channel it is for (``receive_buffer``), where that channel's receiver
takes it.

* redis-py 8 gives every read a 5 s socket timeout, the same as channels-redis's 5 s blocking pop: an idle
  pop then times out on the client and the error kills the consumer that happened to hold the lock. The pop
  here is shorter than the socket timeout.
* A process-local channel made with another prefix (``new_channel("chathub.")``) lives in a list of its own,
  yet takes the same lock: while its receiver waits on that list, no message for any other socket of the
  process is read (seen as dashboards and exam sockets going silent). Every process-local channel here
  shares the process's list, whatever prefix is asked for.
* A message popped for a channel whose consumer has gone (a socket closed while messages to it were on their
  way) is buffered for a receiver that never comes, and channels-redis never drops that buffer: a long-running
  daphne with sockets coming and going would hold such buffers for ever. Here a buffer whose channel has had no
  receiver for :data:`ORPHANED_AFTER` seconds is dropped (checked at most every :data:`SWEEP_EVERY` seconds).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

ORPHANED_AFTER = 60.0  # a consumer between two receives is away for milliseconds, a gone one for ever
SWEEP_EVERY = 10.0


class RedisChannelLayer(BaseRedisChannelLayer):
    brpop_timeout = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._receivers: Counter[str] = Counter()  # channel -> receive() calls waiting on it now
        self._unreceived_since: dict[str, float] = {}  # buffered channel -> first sweep that saw no receiver
        self._swept_at = time.monotonic()

    async def new_channel(self, prefix: str = "specific") -> str:
        return await super().new_channel()

    async def receive(self, channel: str) -> dict:
        self._receivers[channel] += 1
        try:
            return await super().receive(channel)
        finally:
            self._receivers[channel] -= 1
            if not self._receivers[channel]:
                del self._receivers[channel]
            self.sweep_orphaned_buffers()

    def sweep_orphaned_buffers(self, now: float | None = None) -> None:
        """Drop the buffers of channels nobody has received from for :data:`ORPHANED_AFTER` seconds."""
        now = time.monotonic() if now is None else now
        if now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        unreceived = {channel for channel in self.receive_buffer if channel not in self._receivers}
        self._unreceived_since = {channel: self._unreceived_since.get(channel, now) for channel in unreceived}
        for channel, since in list(self._unreceived_since.items()):
            if now - since >= ORPHANED_AFTER:
                del self.receive_buffer[channel], self._unreceived_since[channel]
