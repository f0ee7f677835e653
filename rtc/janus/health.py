"""Which Janus instances are alive: a cheap periodic ``ping`` of every instance in ``JANUS_URLS``.

Why a health check at all: a room used to live on ``JANUS_URLS[room % len]``, so a lesson whose Janus
died stayed dead (every rejoin went to the same instance). Now a room is placed on a *live* instance
(:func:`least_loaded`), and the caller that keeps the room's placement moves it when its instance is dead.

How it decides, per process (each daphne process runs its own check, one per event loop):

* every ``HEALTH_PERIOD_SECONDS`` (2 s) each instance gets ``{"janus": "ping"}`` (one HTTP request, no
  session, no secret; a few hundred bytes) with a ``PING_TIMEOUT_SECONDS`` (1.5 s) time-out;
* ``DEAD_AFTER_FAILED_PINGS`` (2) failed pings in a row make an instance dead — one lost request on a busy
  network must not move every lesson of an instance;
* a caller that *saw* an instance fail (a session's long-poll broke, ``create`` was refused) calls
  :meth:`InstanceHealth.report_failure`: one ping at once, and if that fails too the instance is dead now,
  not a period later (a ``kill -9`` is known within a second or so);
* the sessions of an instance found dead are lost at once (:meth:`InstanceHealth.track`): a host that
  vanished sends no reset, and a session's long-poll would notice only at its 40 s time-out;
* one answered ping makes an instance live again; a placement that finds the lesson's instance dead pings
  it once more before moving the lesson (:meth:`InstanceHealth.recheck`), so a Janus restarted in a second
  keeps its lessons.

Why not share the view through Redis: a ping costs one small HTTP request per instance per period, so
every process can afford its own, and processes agreeing on the *health* would not be enough anyway —
what must be agreed is where a room *is*, and that is one database row per lesson run, changed with a
compare-and-set (``lessons.janus_placement``). Two processes that briefly disagree about an instance
both read that row, so they still send a lesson's people to one instance.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Mapping, Sequence

from django.conf import settings

from server.aio import PerLoop, spawn

from .client import JanusError, JanusSession, http_json

log = logging.getLogger(__name__)

HEALTH_PERIOD_SECONDS = 2.0
PING_TIMEOUT_SECONDS = 1.5
DEAD_AFTER_FAILED_PINGS = 2


async def ping(url: str, timeout: float = PING_TIMEOUT_SECONDS) -> bool:
    """Whether the Janus at ``url`` (its API base, ``http://host:port/janus``) answers ``pong``."""
    try:
        answer = await http_json("POST", url, {"janus": "ping", "transaction": secrets.token_hex(6)}, timeout=timeout)
    except JanusError:
        return False
    return answer.get("janus") == "pong"


def least_loaded(live: Sequence[str], load: Mapping[str, int]) -> str:
    """The live instance carrying the least ``load`` (the caller's measure); ties go to the first listed."""
    if not live:
        raise ValueError("no live Janus instance")
    return min(live, key=lambda url: (load.get(url, 0), live.index(url)))


class InstanceHealth:
    """The live/dead view of a fixed list of instances, kept fresh by :meth:`run`."""

    def __init__(self, urls: Sequence[str], dead_after: int = DEAD_AFTER_FAILED_PINGS) -> None:
        self.urls = tuple(url.rstrip("/") for url in urls)  # as JanusSession.base_url
        self.dead_after = dead_after
        self.failed_pings = dict.fromkeys(self.urls, 0)  # in a row
        self._pinging: dict[str, asyncio.Future[bool]] = {}
        self._sessions: dict[str, weakref.WeakSet[JanusSession]] = {url: weakref.WeakSet() for url in self.urls}

    def live(self) -> list[str]:
        """The instances that answer, in ``JANUS_URLS`` order."""
        return [url for url in self.urls if self.failed_pings.get(url, 0) < self.dead_after]

    def is_live(self, url: str) -> bool:
        return url in self.live()

    def track(self, session: JanusSession) -> None:
        """Lose ``session`` at once if its instance is found dead (see :meth:`JanusSession.lose`)."""
        self._sessions.get(session.base_url, weakref.WeakSet()).add(session)

    async def check(self, url: str) -> None:
        answered = await ping(url)
        before = self.is_live(url)
        self.failed_pings[url] = 0 if answered else self.failed_pings[url] + 1
        if self.is_live(url) != before:
            log.warning("Janus %s is %s", url, "live again" if answered else "dead")
            if not answered:
                await self._lose_sessions(url)

    async def _lose_sessions(self, url: str) -> None:
        sessions = list(self._sessions[url])
        self._sessions[url] = weakref.WeakSet()
        await asyncio.gather(*(session.lose(f"Janus {url} does not answer ping") for session in sessions))

    async def check_all(self) -> None:
        await asyncio.gather(*(self.check(url) for url in self.urls))

    async def report_failure(self, url: str) -> None:
        """A real request to ``url`` failed: ping at once, and if it fails too the instance is dead now."""
        if self.is_live(url) and not await self._ping_once(url) and self.is_live(url):
            self.failed_pings[url] = max(self.failed_pings[url], self.dead_after)
            log.warning("Janus %s is dead (a request failed and it does not answer ping)", url)
            await self._lose_sessions(url)

    async def recheck(self, url: str) -> bool:
        """Ping a dead instance again now (a restarted Janus is back in a second or two): whether it is live."""
        if url in self.failed_pings and not self.is_live(url) and await self._ping_once(url):
            self.failed_pings[url] = 0
            log.warning("Janus %s is live again", url)
        return self.is_live(url)

    async def _ping_once(self, url: str) -> bool:
        """Many sockets of one instance report (or ask about) it together: they share one ping."""
        if url not in self.failed_pings:
            return False
        pinging = self._pinging.get(url)
        if pinging is None:
            pinging = self._pinging[url] = asyncio.ensure_future(ping(url))
            pinging.add_done_callback(lambda _: self._pinging.pop(url, None))
        return await asyncio.shield(pinging)

    async def run(self, period: float = HEALTH_PERIOD_SECONDS) -> None:
        while True:
            await asyncio.sleep(period)
            await self.check_all()


async def _start() -> InstanceHealth:
    """This process's view of ``JANUS_URLS``: checked once before the first placement, then every period."""
    health = InstanceHealth(settings.JANUS_URLS)
    await health.check_all()
    spawn(health.run())
    return health


_health: PerLoop[InstanceHealth] = PerLoop(_start)


async def instance_health() -> InstanceHealth:
    return await _health.get()
