"""How exam sockets reach the media workers: one named channel per worker on the channel layer.

Each running worker has its own channel ``proctor.media.<worker id>`` (the id of its registry row, new at each
start, :mod:`proctor.media.registry`). The session's socket sends to the worker its session is placed on
(:func:`proctor.actions.place_media`), so every message of a session, from any daphne process, reaches the
worker holding its peer. Messages are plain dicts (msgpack for channels-redis); every one names the session
and ``reply_to``, the channel of the exam socket that sent it (the session's current owner).
"""

from __future__ import annotations

import os
import socket

from channels.layers import get_channel_layer
from django.conf import settings

CHANNEL_PREFIX = "proctor.media."


def layer_name() -> str:
    """Which channel layer this process is on: only workers on the same one can be reached (the registry keeps
    it per worker). Every process of a deployment shares its one Redis, whatever address each host knows it by
    (docker-compose.yml's media workers reach it through the host's address, daphne through the service name):
    ``redis``. The in-memory layer reaches this process alone."""
    return "redis" if settings.REDIS_URL else f"memory://{socket.gethostname()}/{os.getpid()}"


def worker_channel(worker_id: int) -> str:
    return f"{CHANNEL_PREFIX}{worker_id}"


async def to_worker(worker_id: int, session_id: int, reply_to: str, action: str, **fields: object) -> None:
    """Send ``media.<action>`` to the worker (raises ``ChannelFull`` if it is far behind)."""
    message = {"type": f"media.{action}", "session": session_id, "reply_to": reply_to, **fields}
    await get_channel_layer().send(worker_channel(worker_id), message)
