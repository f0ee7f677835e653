"""Which Janus instance a lesson run's room is on: kept while it is live, moved when it dies.

The run's row holds the instance (``LessonRun.janus_instance``), so every daphne process sends the
lesson's people to one instance. A ``join`` asks :func:`instance_for_run`:

* the run's instance is live (``rtc.janus.health``; if it was found dead it is pinged once more, so a Janus
  restarted in a second keeps its lessons) → that one;
* it has none yet, or it is dead → the live instance with the fewest people in lessons right now
  (open presences of runs placed there: one count query, no call to Janus), written with a
  compare-and-set by :func:`lessons.actions.place_media`, which also tells the sockets still on the old
  instance to join again.

When an instance dies, every socket on it loses its Janus session: the page hears ``media.lost`` and sends
``join`` a second later; the first of those moves the run, the rest find it moved.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.db.models import Count
from django.utils import timezone

from rtc.janus.client import JanusSession
from rtc.janus.health import instance_health, least_loaded

from . import actions
from .models import LessonRun, Presence


class NoLiveInstance(Exception):
    """No Janus is configured, or none answers: the page retries ``join`` a little later."""


def people_on(instances: list[str]) -> dict[str, int]:
    """Open (not stale) presences in lesson runs whose room is on each of ``instances``."""
    alive_since = timezone.now() - Presence.STALE_AFTER
    rows = (
        Presence.objects.filter(
            participant__run__janus_instance__in=instances,
            participant__run__ended_at__isnull=True,
            left_at__isnull=True,
            seen_at__gte=alive_since,
        )
        .values("participant__run__janus_instance")
        .annotate(people=Count("pk"))
    )
    return {row["participant__run__janus_instance"]: row["people"] for row in rows}


def current_instance(run_id: int) -> str:
    return LessonRun.objects.values_list("janus_instance", flat=True).get(pk=run_id)


async def instance_for_run(run_id: int) -> str:
    """The live instance holding (or now to hold) the run's room."""
    health = await instance_health()
    current = await database_sync_to_async(current_instance)(run_id)
    if current and await health.recheck(current):
        return current
    live = health.live()
    if not live:
        raise NoLiveInstance("no Janus instance answers" if health.urls else "JANUS_URLS is empty")
    chosen = least_loaded(live, await database_sync_to_async(people_on)(live))
    placed = await database_sync_to_async(actions.place_media)(run_id, current, chosen)
    if placed not in live:  # another process placed it on an instance we believe dead: it will move again
        raise NoLiveInstance(f"the lesson's Janus {placed} does not answer")
    return placed


async def watch(session: JanusSession) -> None:
    """The session is lost as soon as the health check finds its instance dead, not at its long-poll's time-out."""
    (await instance_health()).track(session)


async def report_failure(url: str) -> None:
    """Our request to ``url`` failed (session lost, create refused): let the health check confirm at once."""
    await (await instance_health()).report_failure(url)
