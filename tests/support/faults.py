"""The six faults of the fault suite, each a context manager on a running :class:`~deploy.cluster.Cluster`, and
:func:`measure`, which runs one of them beside steady :class:`~tests.support.traffic.Traffic` and reads the result.

Entering a fault does the damage and returns; leaving it repairs what stays broken, as an operator (or a process
manager) would. The cluster's supervisor restarts nothing by itself (deploy/cluster/__main__.py only reports an
exit), so a killed process stays dead until the fault is left: the clients' recovery is measured without it.

1. :func:`daphne_killed` — ``kill -9`` of a web host's daphne; restarted on leaving.
2. :func:`redis_restarted` — Redis stopped and started (its data is not persisted: groups, rate budgets and the
   media workers' registry start empty).
3. :func:`postgres_restarted` — PostgreSQL stopped ("fast") and started.
4. :func:`media_worker_killed` — ``kill -9`` of the media worker holding the most exam students; restarted on leaving.
5. :func:`janus_killed` — ``kill -9`` of the Janus holding the lesson; restarted on leaving.
6. :func:`partitioned` — a web host's link down for ``seconds`` (its processes live on, unreachable), then up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from bench import setups
from deploy.cluster import Cluster
from deploy.cluster.services import SFU_HOSTS, WEB_HOSTS

from . import setups as support_setups
from .cluster import ClusterEnvironment
from .traffic import Traffic

PARTITION_SECONDS = 20.0


@contextmanager
def daphne_killed(cluster: Cluster, host: str = "web1") -> Iterator[None]:
    cluster.kill(f"daphne-{host}")
    try:
        yield
    finally:
        cluster.restart(f"daphne-{host}")


@contextmanager
def redis_restarted(cluster: Cluster) -> Iterator[None]:
    cluster.restart("redis")
    yield


@contextmanager
def postgres_restarted(cluster: Cluster) -> Iterator[None]:
    cluster.restart("postgres")
    yield


@contextmanager
def media_worker_killed(cluster: Cluster, host: str) -> Iterator[None]:
    cluster.kill(f"media-{host}")
    try:
        yield
    finally:
        cluster.restart(f"media-{host}")


@contextmanager
def janus_killed(cluster: Cluster, host: str) -> Iterator[None]:
    cluster.kill(f"janus-{host}")
    try:
        yield
    finally:
        cluster.restart(f"janus-{host}")


@contextmanager
def partitioned(cluster: Cluster, host: str = "web2", seconds: float = PARTITION_SECONDS) -> Iterator[None]:
    cluster.partition(host, seconds)
    yield


def busiest_media_host(env: ClusterEnvironment, exam: int) -> str:
    """The web host whose media worker holds the most of the exam's sessions (workers are named by host)."""
    held = env.call(setups.media_placements, exam=exam)
    return max(WEB_HOSTS, key=lambda host: held.get(host, 0))


def lesson_janus_host(cluster: Cluster, env: ClusterEnvironment, lesson: int | None) -> str:
    """The sfu host whose Janus holds the lesson's room (the first one without a lesson)."""
    if lesson is None:
        return SFU_HOSTS[0]
    url = env.call(support_setups.janus_instance, lesson=lesson)
    return next(host for host in SFU_HOSTS if cluster.janus_url(host) == url)


def all_faults(
    cluster: Cluster, env: ClusterEnvironment, exam: int | None, lesson: int | None
) -> list[tuple[str, Callable[[], AbstractContextManager[None]]]]:
    """The six faults in the suite's order, named; each made when it is its turn (the targets are chosen then)."""
    return [
        ("kill -9 daphne web1", lambda: daphne_killed(cluster, "web1")),
        ("restart Redis", lambda: redis_restarted(cluster)),
        ("restart PostgreSQL", lambda: postgres_restarted(cluster)),
        (
            "kill -9 media worker",
            lambda: media_worker_killed(cluster, busiest_media_host(env, exam) if exam else WEB_HOSTS[0]),
        ),
        ("kill -9 Janus", lambda: janus_killed(cluster, lesson_janus_host(cluster, env, lesson))),
        (f"partition web2 {PARTITION_SECONDS:.0f} s", lambda: partitioned(cluster, "web2")),
    ]


# ----- one fault beside the traffic ----------------------------------------------------------------------------
@dataclass
class FaultResult:
    name: str
    struck: float  # when the fault began (wall clock)
    lost: int
    duplicated: int
    reordered: int
    gaps: int  # a seq skipped on a socket (counted in `lost` unless it came later, then in `reordered`)
    episodes_lost: int
    recovery_s: float | None  # until every client was back; None: some were not within the time-out
    p99_ms: dict[str, float | None] = field(default_factory=dict)  # before / during / after
    sends: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # error frames and client troubles during the window

    def row(self) -> str:
        p99 = " / ".join("-" if v is None else f"{v:.0f}" for v in self.p99_ms.values())
        back = "NOT BACK" if self.recovery_s is None else f"{self.recovery_s:.1f}"
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "-"
        return (
            f"| {self.name} | {self.sends} | {self.lost} | {self.duplicated} | {self.reordered} | {self.episodes_lost} "
            f"| {back} | {p99} | {errors} |"
        )


TABLE_HEADER = (
    "| fault | chat sends | lost | duplicated | reordered | episodes lost | all back after (s) "
    "| p99 delivery before / during / after (ms) | error frames and client troubles |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def episodes_lost(before: list[list], after: list[list]) -> int:
    """Episodes present before and gone after, or closed before and changed after (one left open by a dead worker
    may be closed meanwhile: that is its end being recorded, not a loss)."""
    now = {row[0]: row for row in after}
    return sum(1 for row in before if row[0] not in now or (row[4] is not None and now[row[0]] != row))


async def measure(
    traffic: Traffic,
    env: ClusterEnvironment,
    name: str,
    fault: Callable[[], AbstractContextManager[None]],
    exam: int | None,
    before_s: float,
    after_s: float,
    back_within_s: float = 120.0,
) -> FaultResult:
    """``before_s`` of steady traffic, the fault, the wait until every client is back (up to ``back_within_s``),
    ``after_s`` more, the repair; then every send of the window is waited for and counted."""
    errors_at_start = traffic.errors()
    start = time.time()
    await asyncio.sleep(before_s)
    episodes_before = env.call(setups.exam_episodes, exam=exam) if exam else []
    struck = time.time()
    damage = fault()
    await asyncio.to_thread(damage.__enter__)
    done = time.time()
    recovery = await traffic.recovered(struck, back_within_s)
    back = max(done, struck + (recovery or 0.0)) if recovery is not None else time.time()
    await asyncio.sleep(after_s)
    end = time.time()
    await asyncio.to_thread(damage.__exit__, None, None, None)
    await traffic.settle(end)
    episodes_after = env.call(setups.exam_episodes, exam=exam) if exam else []
    now = time.time()
    errors = traffic.errors()
    errors.subtract(errors_at_start)
    return FaultResult(
        name=name,
        struck=struck,
        lost=traffic.missing(end, since=start),
        duplicated=traffic.doubled(start, now),
        reordered=traffic.anomalies(start, now, "reordered"),
        gaps=traffic.anomalies(start, now, "gap"),
        episodes_lost=episodes_lost(episodes_before, episodes_after),
        recovery_s=recovery,
        p99_ms={
            "before": traffic.p99_ms(start, struck),
            "during": traffic.p99_ms(struck, back),
            "after": traffic.p99_ms(back, end),
        },
        sends=sum(1 for s in traffic.chat.sent if start <= s.first_at < end),
        errors={k: v for k, v in errors.items() if v > 0},
    )
