"""Token-bucket rate limits, counted in this process (each daphne process enforces its own share).

The one limiter of every socket (and of chat's uploads over HTTP): a refused event raises the
``rate_limited`` :class:`~server.ws.errors.ProtocolError`, which a socket answers with an error frame.
"""

from __future__ import annotations

import time
from collections.abc import Hashable

from .errors import ProtocolError

MAX_KEYS = 100_000


class RateLimit:
    """``count`` events per ``seconds`` per key, with bursts up to ``count``."""

    def __init__(self, what: str, count: int, seconds: float) -> None:
        self.what = what
        self.capacity = float(count)
        self.refill_per_second = count / seconds
        self.buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: Hashable = None) -> None:
        """Spend one token or raise ``rate_limited`` saying when to retry."""
        now = time.monotonic()
        tokens, at = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill_per_second)
        if tokens < 1:
            wait = (1 - tokens) / self.refill_per_second
            raise ProtocolError("rate_limited", f"too many {self.what}; retry in {wait:.1f} s")
        if len(self.buckets) >= MAX_KEYS:
            self.buckets.clear()
        self.buckets[key] = (tokens - 1, now)
