"""Token-bucket rate limits: shared by every process through Redis when it is configured, else per process.

The one limiter of every socket (and of chat's uploads over HTTP): a refused event raises the
``rate_limited`` :class:`~server.ws.errors.ProtocolError`, which a socket answers with an error frame.

``take`` counts in this process (a per-socket limit, or a synchronous caller); ``take_shared`` counts in
Redis when ``settings.REDIS_URL`` is set, so a user spread over several daphne processes gets one budget,
not one per process (one round trip: a Lua script updates the bucket atomically, on Redis's clock). Without
Redis (the embedded layout: one process) it is ``take``. If Redis fails, the event is counted in this
process instead: a limit must never close a socket, and Redis being down must not stop the chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Hashable

from django.conf import settings
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from .errors import ProtocolError

log = logging.getLogger(__name__)

MAX_KEYS = 100_000
REDIS_TIMEOUT_SECONDS = 0.5

# KEYS[1]: the bucket; ARGV: capacity, refill per second. Returns "" when a token was spent, else the wait.
TAKE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * refill)
if tokens < 1 then
  return tostring((1 - tokens) / refill)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / refill * 1000) + 1000)
return ''
"""


class RateLimit:
    """``count`` events per ``seconds`` per key, with bursts up to ``count``."""

    def __init__(self, what: str, count: int, seconds: float) -> None:
        self.what = what
        self.capacity = float(count)
        self.refill_per_second = count / seconds
        self.buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)
        self.redis_prefix = f"rate:{what}:{count}/{seconds:g}:"

    def take(self, key: Hashable = None) -> None:
        """Spend one token of this process's bucket or raise ``rate_limited`` saying when to retry."""
        now = time.monotonic()
        tokens, at = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill_per_second)
        if tokens < 1:
            self.refuse((1 - tokens) / self.refill_per_second)
        if len(self.buckets) >= MAX_KEYS:
            self.buckets.clear()
        self.buckets[key] = (tokens - 1, now)

    async def take_shared(self, key: Hashable = None) -> None:
        """Spend one token of the bucket all processes share (Redis), or of this process's without Redis."""
        script = _script()
        if script is None:
            self.take(key)
            return
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                wait = await script(keys=[self.redis_prefix + str(key)], args=[self.capacity, self.refill_per_second])
        except Exception as error:  # counted here instead; logged without a traceback per event
            log.warning("rate limit %r counted in this process: Redis failed (%s)", self.what, error)
            self.take(key)
            return
        if wait:
            self.refuse(float(wait))

    def refuse(self, wait: float) -> None:
        raise ProtocolError("rate_limited", f"too many {self.what}; retry in {wait:.1f} s")


_scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncScript] = weakref.WeakKeyDictionary()


def _script() -> AsyncScript | None:
    """This event loop's registered script on its Redis client (a client belongs to one loop); None without Redis."""
    if not settings.REDIS_URL:
        return None
    loop = asyncio.get_running_loop()
    script = _scripts.get(loop)
    if script is None:
        client = Redis.from_url(settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS)
        script = _scripts[loop] = client.register_script(TAKE_SCRIPT)
    return script
