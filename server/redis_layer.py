"""channels-redis's layer with two fixes for this stack (channels-redis 4.3, redis-py 8).

A process receives all its process-local channels through one Redis list, read by whichever receiver holds
the layer's receive lock; the holder blocks in a pop of ``brpop_timeout`` seconds per turn.

* redis-py 8 gives every read a 5 s socket timeout, the same as channels-redis's 5 s blocking pop: an idle
  pop then times out on the client and the error kills the consumer that happened to hold the lock. The pop
  here is shorter than the socket timeout.
* A process-local channel made with another prefix (``new_channel("chathub.")``) lives in a list of its own,
  yet takes the same lock: while its receiver waits on that list, no message for any other socket of the
  process is read (seen as dashboards and exam sockets going silent). Every process-local channel here
  shares the process's list, whatever prefix is asked for.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer


class RedisChannelLayer(BaseRedisChannelLayer):
    brpop_timeout = 2

    async def new_channel(self, prefix: str = "specific") -> str:
        return await super().new_channel()
