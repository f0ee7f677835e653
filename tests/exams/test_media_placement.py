"""Placement of exam sessions on media workers and the judgement of their death (pure parts, and the action on
the database): the least loaded live worker takes a new session, a session sticks to its live worker, and a
session moved off a dead worker keeps what was decided and gets one camera_lost gap that the next engine
continues."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from proctor import actions
from proctor.episodes import EpisodeEngine
from proctor.kinds import Kind
from proctor.media.placement import WorkerLoad, choose
from proctor.media.registry import Liveness, announce, heartbeat, retire
from proctor.models import Episode, ExamSession, MediaWorker
from proctor.observations import Observation


def test_the_worker_with_fewer_students_for_its_capacity_is_chosen() -> None:
    busy = WorkerLoad(worker_id=1, capacity=60, students=30, cpu=0.1)
    idle = WorkerLoad(worker_id=2, capacity=60, students=3, cpu=0.1)
    assert choose([busy, idle]) == idle


def test_a_worker_on_a_busy_host_is_avoided_even_with_fewer_students() -> None:
    busy_host = WorkerLoad(worker_id=1, capacity=60, students=2, cpu=0.9)
    quiet_host = WorkerLoad(worker_id=2, capacity=60, students=20, cpu=0.2)
    assert choose([busy_host, quiet_host]) == quiet_host


def test_a_full_worker_is_chosen_only_when_every_worker_is_full() -> None:
    full = WorkerLoad(worker_id=1, capacity=10, students=10, cpu=0.0)
    loaded = WorkerLoad(worker_id=2, capacity=60, students=50, cpu=0.95)
    assert choose([full, loaded]) == loaded
    assert choose([full]) == full
    assert choose([]) is None


def test_equal_loads_go_to_the_older_worker() -> None:
    assert choose([WorkerLoad(7, 60, 0, 0.0), WorkerLoad(3, 60, 0, 0.0)]) == WorkerLoad(3, 60, 0, 0.0)


def test_a_worker_is_dead_once_its_beats_stop_for_the_wait_or_it_leaves_the_registry() -> None:
    liveness = Liveness(dead_after=4)
    assert liveness.dead([1, 2], {1: 10, 2: 5}, now=100) == set()
    assert liveness.dead([1, 2], {1: 11, 2: 5}, now=103) == set()
    assert liveness.dead([1, 2], {1: 12, 2: 5}, now=104) == {2}  # unchanged for 4 s
    assert liveness.dead([1], {}, now=105) == {1}  # stopped: gone from the registry


def test_an_unreadable_registry_is_no_death_the_wait_starts_again() -> None:
    liveness = Liveness(dead_after=4)
    liveness.dead([1], {1: 10}, now=100)
    liveness.unknown()  # e.g. PostgreSQL restarting for 30 s: nobody could beat or read
    assert liveness.dead([1], {1: 10}, now=130) == set()
    assert liveness.dead([1], {1: 11}, now=131) == set()


def _frames(engine: EpisodeEngine, start: float, end: float) -> list:
    """Analysed frames (one face) twice a second from ``start`` to ``end``; the events they caused."""
    events, t = [], start
    while t <= end + 1e-9:
        events += engine.observe(Observation(t=t, faces=1))
        t += 0.5
    return [(e.action, e.episode.kind, e.episode.start, e.episode.end, e.at) for e in events]


def test_an_engine_continuing_a_recorded_gap_ends_it_once_the_stream_is_back_without_opening_another() -> None:
    engine = EpisodeEngine(start=100.0, camera_lost=True)
    assert engine.tick(105.0) == []  # the gap is open already: nothing new
    assert _frames(engine, 106.0, 109.0) == [("closed", Kind.CAMERA_LOST, 100.0, 106.0, 109.0)]
    assert engine.open_episodes == []


def test_one_frame_then_a_stall_does_not_split_a_continued_gap() -> None:
    engine = EpisodeEngine(start=100.0, camera_lost=True)
    assert _frames(engine, 106.0, 106.0) == []  # a new peer's first frame, then nothing for seconds
    assert engine.tick(107.5) == []
    assert engine.tick(112.0) == []
    assert _frames(engine, 114.0, 117.0) == [("closed", Kind.CAMERA_LOST, 100.0, 114.0, 117.0)]


@pytest.fixture
def running_session(world) -> ExamSession:
    session = world["session"]
    ExamSession.objects.filter(pk=session.pk).update(state=ExamSession.State.RUNNING, started_at=timezone.now())
    return session


def _worker(name: str, beat_ago: float = 0.0) -> int:
    worker_id = announce(name)
    MediaWorker.objects.filter(pk=worker_id).update(heartbeat_at=timezone.now() - timedelta(seconds=beat_ago))
    return worker_id


def test_a_session_sticks_to_its_live_worker_and_new_ones_go_to_the_least_loaded(running_session, world) -> None:
    first, second = _worker("alpha"), _worker("beta")
    assert actions.place_media(running_session.pk) == first
    other = ExamSession.objects.create(exam=world["exam"], student=world["users"]["student2"])
    assert actions.place_media(other.pk) == second  # alpha has a student, beta none
    heartbeat(second, students=1, cpu=0.0)
    assert actions.place_media(running_session.pk) == first  # sticky while alpha lives
    assert not Episode.objects.filter(session=running_session, kind=Kind.CAMERA_LOST).exists()


def test_moving_off_a_dead_worker_keeps_decisions_and_opens_one_gap(running_session) -> None:
    Episode.objects.filter(session=running_session).delete()
    dead = _worker("alpha")
    assert actions.place_media(running_session.pk) == dead
    last_heard = timezone.now() - timedelta(seconds=10)
    MediaWorker.objects.filter(pk=dead).update(heartbeat_at=last_heard)
    decided = Episode.objects.create(
        session=running_session,
        kind=Kind.NO_FACE,
        started_at=last_heard - timedelta(seconds=20),
        ended_at=last_heard - timedelta(seconds=15),
    )
    left_open = Episode.objects.create(
        session=running_session, kind=Kind.MULTIPLE_FACES, started_at=last_heard - timedelta(seconds=5)
    )
    live = _worker("beta")

    assert actions.place_media(running_session.pk, lost=dead) == live
    assert actions.place_media(running_session.pk, lost=dead) == live  # the second to notice changes nothing

    episodes = {e.pk: e for e in Episode.objects.filter(session=running_session)}
    assert episodes[decided.pk].ended_at == decided.ended_at
    assert episodes[left_open.pk].ended_at == last_heard
    gaps = [e for e in episodes.values() if e.kind == Kind.CAMERA_LOST]
    assert [(g.started_at, g.ended_at) for g in gaps] == [(last_heard, None)]


def test_a_stopped_worker_is_left_at_once_and_with_no_live_worker_the_session_waits(running_session) -> None:
    stopping = _worker("alpha")
    assert actions.place_media(running_session.pk) == stopping
    retire(stopping)
    assert actions.place_media(running_session.pk) is None
    assert Episode.objects.filter(session=running_session, kind=Kind.CAMERA_LOST, ended_at=None).count() == 1
    later = _worker("beta")
    assert actions.place_media(running_session.pk) == later
    assert Episode.objects.filter(session=running_session, kind=Kind.CAMERA_LOST).count() == 1
