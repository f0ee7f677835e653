"""Rights follow the user on open sockets: a change of who may do what reaches every socket of that user.

A socket reads its user at connect. When something that grants rights changes (the user is deactivated or
deleted, a role, a study group, a parent link or a proctor assignment is removed, the user logs out or the
password changes), the receivers of those writes call :func:`rights_changed`; once the write commits, a
``rights.changed`` message goes to the channel-layer group of each user concerned (:func:`user_group`), so it
reaches every process (in-memory layer: this process; Redis: all of them).

Each process listens with one :class:`RightsWatch` per event loop — one channel, joined to the group of each
user with a socket here — not one channel per socket: chat's sockets have no channel of their own (see
chat/hub.py), and a user with ten tabs costs one group membership per process. On a message the watch asks
every local socket of the user to check itself again (:meth:`JsonProtocolConsumer.recheck_rights`), at once
and once more :data:`SETTLE_SECONDS` later: a write that follows the signal in the same request (the session
flush after ``user_logged_out``, chat's membership sync after a group change) is then seen even by a
process that heard the message before the write was done.

The check (:func:`check_session`) reads the socket's session from the session store, as a page would:
the session gone (logout, or renewed by a password change in this browser) or its password hash stale (the
password changed) → the socket closes with ``RIGHTS_CHANGED`` and the page reconnects, the new connection
deciding; the user inactive, deleted or required to change the password → ``UNAUTHENTICATED``; otherwise
the consumer gets the fresh user and narrows what it serves (its ``rights_changed`` hook).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

from server.aio import PerLoop, spawn
from server.events import publish_on_commit

from .errors import CloseCode

log = logging.getLogger(__name__)

SETTLE_SECONDS = 1.0  # the second check after a rights.changed message
GROUP_REFRESH_SECONDS = 3600.0  # channel-layer group memberships expire after a day (channels_redis)


def user_group(user_id: int) -> str:
    """The channel-layer group that hears the rights changes of one user."""
    return f"rights.{user_id}"


def rights_changed(user_ids: Iterable[int]) -> None:
    """Tell every open socket of these users, on every process, to check its rights once the write commits."""
    users = sorted({user_id for user_id in user_ids if user_id is not None})
    layer = get_channel_layer()
    if not users or layer is None:
        return

    async def send() -> None:
        for user_id in users:
            await layer.group_send(user_group(user_id), {"type": "rights.changed", "user": user_id})

    publish_on_commit(send)


@dataclass(frozen=True)
class Verdict:
    """What a socket's session allows now: ``user`` (fresh from the database) or the close code to use."""

    user: Any = None  # server.accounts.models.User; Any keeps server.ws free of the accounts app
    close_code: int | None = None


def check_session(session_key: str | None, user_id: int) -> Verdict:
    """Read the session and its user again, without changing either (a page's check would flush a session whose
    password hash is stale — this one runs beside the request that is changing it).

    A session that ended, or whose password hash no longer matches (a password change: here a moment before the
    session is renewed, or in another browser), closes the socket with ``RIGHTS_CHANGED``: the reconnect is
    checked by Django's own rules (AuthMiddleware) and decides. A user deleted, deactivated or required to change
    the password closes it with ``UNAUTHENTICATED``.
    """
    session: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if not session_key or session.get(auth.SESSION_KEY) != str(user_id):
        return Verdict(close_code=CloseCode.RIGHTS_CHANGED)
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not user.is_active or getattr(user, "must_change_password", False):
        return Verdict(close_code=CloseCode.UNAUTHENTICATED)
    if not constant_time_compare(session.get(auth.HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return Verdict(close_code=CloseCode.RIGHTS_CHANGED)
    return Verdict(user=user)


class Watched(Protocol):
    """A socket as the watch sees it (every JsonProtocolConsumer)."""

    async def recheck_rights(self) -> None: ...


class RightsWatch:
    """This process's (event loop's) listener for ``rights.changed``: the local sockets by user."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel = ""
        self.sockets: dict[int, weakref.WeakSet[Any]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.channel = await self.layer.new_channel("rights.")
        self.tasks = [
            asyncio.create_task(self._read(), name="rights-watch"),
            asyncio.create_task(self._refresh_groups(), name="rights-watch-groups"),
        ]

    async def add(self, socket: Watched, user_id: int) -> None:
        sockets = self.sockets.setdefault(user_id, weakref.WeakSet())
        first = not sockets
        sockets.add(socket)
        if first:
            await self.layer.group_add(user_group(user_id), self.channel)

    async def discard(self, socket: Watched, user_id: int) -> None:
        sockets = self.sockets.get(user_id)
        if sockets is None:
            return
        sockets.discard(socket)
        if not sockets:
            del self.sockets[user_id]
            await self.layer.group_discard(user_group(user_id), self.channel)

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                message = await self.layer.receive(self.channel)
                sockets = list(self.sockets.get(message.get("user"), ()))
                _recheck(sockets)
                if sockets:
                    loop.call_later(SETTLE_SECONDS, _recheck, sockets)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rights watch: reading the channel layer failed")
                await asyncio.sleep(1)

    async def _refresh_groups(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            for user_id in list(self.sockets):
                try:
                    await self.layer.group_add(user_group(user_id), self.channel)
                except Exception:
                    log.exception("rights watch: refreshing the group of user %s failed", user_id)


def _recheck(sockets: list[Watched]) -> None:
    for socket in sockets:
        spawn(socket.recheck_rights())


async def _start_watch() -> RightsWatch:
    watch = RightsWatch(get_channel_layer())
    await watch.start()
    return watch


_watches = PerLoop(_start_watch)


async def get_watch() -> RightsWatch | None:
    """This event loop's watch, started on first use (None without a channel layer)."""
    if get_channel_layer() is None:
        return None
    return await _watches.get()
