"""How exam sockets reach the media workers: one named channel per worker on the channel layer.

Assignment is sticky and needs no shared state: session ``s`` belongs to worker ``s % RTC_MEDIA_WORKERS``
(channel ``proctor.media.<index>``), so every message of a session, from any daphne process, reaches the
worker holding its peer. Messages are plain dicts (msgpack for channels-redis); every one names the
session and ``reply_to``, the channel of the exam socket that sent it (the session's current owner).
"""

from __future__ import annotations

from channels.layers import get_channel_layer
from django.conf import settings

CHANNEL_PREFIX = "proctor.media."


def worker_channel(index: int) -> str:
    return f"{CHANNEL_PREFIX}{index}"


def channel_for_session(session_id: int) -> str:
    return worker_channel(session_id % settings.RTC_MEDIA_WORKERS)


async def to_worker(session_id: int, reply_to: str, action: str, **fields: object) -> None:
    """Send ``media.<action>`` to the session's worker (raises ``ChannelFull`` if it is far behind)."""
    message = {"type": f"media.{action}", "session": session_id, "reply_to": reply_to, **fields}
    await get_channel_layer().send(channel_for_session(session_id), message)
