"""The fault suite, shortened (bench/faults.py is the full one): the six faults of issue 13, one after another on the
shared cluster, each beside steady traffic through nginx — chat clients in several rooms sending with client ids,
exam students streaming (the project's VP8 replay, analysed by the media workers) and one lesson whose
participants join and rejoin, the teacher and a student publishing aiortc cameras that the others receive. For
each: no chat message lost, duplicated or out of order (every send followed to every client of its room), no
episode lost, and every client back (generous time-outs; the times are printed, and measured in bench/faults.py,
not asserted) — a lesson participant with media once it decodes frames again.

The faults run in file order on one traffic (a module fixture): each repairs what it broke before the next.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager

import pytest
import pytest_asyncio

from tests.support import faults
from tests.support.traffic import Traffic, plan_on

pytestmark = [pytest.mark.media, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ROOMS, ROOM_SIZE, SEND_EVERY = 6, 4, 2.0
STUDENTS, LESSON_STUDENTS = 4, 2
BEFORE_S, AFTER_S = 3.0, 3.0
BACK_WITHIN_S = 120.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def traffic(cluster, cluster_env, tmp_path_factory, private_network) -> AsyncIterator[Traffic]:
    plan = plan_on(
        cluster_env, tmp_path_factory.mktemp("faults"), ROOMS, ROOM_SIZE, STUDENTS, LESSON_STUDENTS, SEND_EVERY
    )
    running = Traffic(cluster.url, plan)
    try:
        await running.start()
        yield running
    finally:
        with contextlib.suppress(Exception):
            await running.stop()


async def run_fault(traffic: Traffic, cluster_env, name: str, fault: Callable[[], AbstractContextManager[None]]):
    result = await faults.measure(
        traffic, cluster_env, name, fault, traffic.plan.exam, BEFORE_S, AFTER_S, BACK_WITHIN_S
    )
    print(faults.TABLE_HEADER)
    print(result.row())
    assert result.recovery_s is not None, f"{name}: not back within {BACK_WITHIN_S:.0f} s: {traffic.not_up()}"
    assert (result.lost, result.duplicated, result.reordered, result.gaps) == (0, 0, 0, 0), result
    assert result.episodes_lost == 0, result
    assert result.sends > 0
    return result


async def test_kill_9_of_web1_s_daphne(traffic, cluster, cluster_env):
    result = await run_fault(traffic, cluster_env, "kill -9 daphne web1", lambda: faults.daphne_killed(cluster, "web1"))
    assert result.errors, "the clients of web1 noticed nothing: the fault did not happen"
    assert cluster.running("daphne-web1")


async def test_redis_restarted(traffic, cluster, cluster_env):
    await run_fault(traffic, cluster_env, "restart Redis", lambda: faults.redis_restarted(cluster))


async def test_postgresql_restarted_sends_fail_clearly_and_succeed_on_retry(traffic, cluster, cluster_env):
    result = await run_fault(traffic, cluster_env, "restart PostgreSQL", lambda: faults.postgres_restarted(cluster))
    assert "close 1011" not in result.errors, result.errors  # an error frame, not a socket closed on the error
    print(f"sends answered `unavailable` during the restart: {result.errors.get('unavailable', 0)}")


async def test_kill_9_of_a_media_worker_mid_exam(traffic, cluster, cluster_env):
    host = faults.busiest_media_host(cluster_env, traffic.plan.exam)
    kill = lambda: faults.media_worker_killed(cluster, host)  # noqa: E731
    result = await run_fault(traffic, cluster_env, "kill -9 media worker", kill)
    assert traffic.students is not None
    moved = [s for s, a in traffic.students.availability.items() if any(at >= result.struck for at, _ in a.outages)]
    assert moved, "no student noticed the dead worker"
    assert cluster.running(f"media-{host}")  # restarted after the measurement


async def test_kill_9_of_the_lesson_s_janus(traffic, cluster, cluster_env):
    lesson = traffic.plan.lesson
    host = faults.lesson_janus_host(cluster, cluster_env, lesson)
    result = await run_fault(traffic, cluster_env, "kill -9 Janus", lambda: faults.janus_killed(cluster, host))
    assert faults.lesson_janus_host(cluster, cluster_env, lesson) != host  # the lesson moved to the live instance
    told = {index: state.errors["media.lost"] for index, state in traffic.lesson_states().items()}
    assert all(told.values()), f"participants not told of the lost media: {told}"
    # back means media again (tests/support/lesson_media.py): frames decoded since, by every participant with media
    assert result.recovery_s is not None
    assert traffic.lesson_media is not None
    back = result.struck + result.recovery_s
    frames = {index: state.frames_since(back) for index, state in traffic.lesson_media.states.items()}
    assert len(frames) == 1 + min(LESSON_STUDENTS, traffic.plan.lesson_media)
    assert all(frames.values()), f"frames decoded since every client was back: {frames}"


async def test_web2_cut_off_for_20_s(traffic, cluster, cluster_env):
    result = await run_fault(traffic, cluster_env, "partition web2 20 s", lambda: faults.partitioned(cluster, "web2"))
    assert result.errors, "the clients of web2 noticed nothing: the fault did not happen"
