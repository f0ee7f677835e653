"""Where the quality gate runs for web requests and live captures: a small pool of its own, rate limited.

Why: Django runs sync views and every ``database_sync_to_async`` call of a daphne process on one
thread. The gate (face detection, alignment, SFace embedding: 0.1-1 s of CPU for a large photo) on
that thread stalled every other user's database call behind it; a client posting large photos in a
loop stalled the school. Here the gate runs on ``REFERENCE_GATE_THREADS`` threads of its own (queued
beyond that), and each user may start ``REFERENCE_CHECKS_PER_MINUTE`` checks a minute.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from server.ws import RateLimit

from .quality import Verdict, assess, assess_file

REFERENCE_GATE_THREADS = 2
REFERENCE_CHECKS_PER_MINUTE = 6

CHECKS = RateLimit("reference photo checks", REFERENCE_CHECKS_PER_MINUTE, 60)  # per user
_pool = ThreadPoolExecutor(max_workers=REFERENCE_GATE_THREADS, thread_name_prefix="reference-gate")


async def assess_photo(user_id: int, source: bytes | Path | str) -> Verdict:
    """The gate on an uploaded photo; raises ``rate_limited`` (ProtocolError) or ``InputError``."""
    CHECKS.take(user_id)
    return await asyncio.get_running_loop().run_in_executor(_pool, assess_file, source)


async def assess_frame(user_id: int, image: np.ndarray) -> Verdict:
    """The gate on a decoded camera frame (BGR); raises ``rate_limited`` (ProtocolError)."""
    CHECKS.take(user_id)
    return await asyncio.get_running_loop().run_in_executor(_pool, assess, image)
