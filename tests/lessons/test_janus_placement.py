"""Where a lesson's Janus room goes: the health view of the instances (rtc.janus.health, with its ping replaced
by a scripted answer) and the run's placement record (lessons.actions.place_media on the real database)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from lessons import actions, janus_placement
from lessons.models import LessonRun, Participant, Presence
from rtc.janus import health
from rtc.janus.client import JanusSession
from rtc.janus.health import InstanceHealth, least_loaded

from .test_lesson_actions import heard, listener, make_run

A, B = "http://10.0.0.11:8088/janus", "http://10.0.0.12:8088/janus"


@pytest.fixture
def answering(monkeypatch) -> dict[str, bool]:
    """Which instances answer ping; the health check's pings are counted in ``answering["pings"]``."""
    state: dict = {A: True, B: True, "pings": 0}

    async def scripted_ping(url: str, timeout: float = 0) -> bool:
        state["pings"] += 1
        await asyncio.sleep(0.01)
        return state[url]

    monkeypatch.setattr(health, "ping", scripted_ping)
    return state


async def test_an_instance_is_dead_after_two_unanswered_pings_and_live_after_one_answer(answering):
    view = InstanceHealth([A, B])
    answering[A] = False
    await view.check_all()
    assert view.live() == [A, B]  # one lost ping moves no lesson
    await view.check_all()
    assert view.live() == [B]
    answering[A] = True
    await view.check_all()
    assert view.live() == [A, B]


async def test_a_reported_failure_kills_at_once_only_if_ping_fails_too(answering):
    view = InstanceHealth([A, B])
    await view.report_failure(A)  # a session broke, but A answers: a glitch, not a death
    assert view.live() == [A, B]
    answering[A] = False
    answering["pings"] = 0
    await asyncio.gather(*(view.report_failure(A) for _ in range(30)))  # every socket of A at once
    assert (view.live(), answering["pings"]) == ([B], 1)


async def test_a_dead_instance_that_answers_again_is_live_on_recheck(answering):
    view = InstanceHealth([A, B])
    answering[A] = False
    await view.report_failure(A)
    assert not await view.recheck(A)
    answering[A] = True  # restarted
    assert await view.recheck(A)
    assert not await view.recheck("http://10.0.0.99:8088/janus")  # no longer in JANUS_URLS


async def test_the_sessions_of_an_instance_found_dead_are_lost_at_once(answering):
    view = InstanceHealth([A, B + "/"])  # a URL with a slash names the same instance as the session's
    lost: list[str] = []

    def session_on(url: str, name: str) -> JanusSession:
        async def on_lost() -> None:
            lost.append(name)

        async def on_event(event: dict) -> None:
            pass

        session = JanusSession(url, "secret", on_event, on_lost)
        view.track(session)
        return session

    sessions = [session_on(A, "teacher on A"), session_on(A, "student on A"), session_on(B, "student on B")]
    answering[A] = False
    await view.check_all()
    assert lost == []  # one unanswered ping: nothing given up
    await view.check_all()
    assert sorted(lost) == ["student on A", "teacher on A"]
    assert [s.closed for s in sessions] == [True, True, False]


def test_the_least_loaded_live_instance_wins_ties_go_to_the_first_listed():
    assert least_loaded([A, B], {A: 12, B: 3}) == B
    assert least_loaded([A, B], {}) == A
    assert least_loaded([B, A], {A: 1}) == B


@pytest.mark.django_db(transaction=True)
async def test_placing_a_run_is_a_compare_and_set_and_a_move_tells_the_class(school):
    run_id = await database_sync_to_async(make_run)(school)
    channel = await listener(run_id)
    place = database_sync_to_async(actions.place_media)

    assert await place(run_id, "", A) == A  # first placement: nobody to tell
    assert await place(run_id, "", B) == A  # another process placed it first: it reads A
    assert await place(run_id, A, B) == B  # A died: moved, and the class hears it
    assert await heard(channel) == {"type": "lesson.media_moved", "instance": B}
    assert await place(run_id, A, B) == B  # a second process finding A dead changes nothing more
    stored = await database_sync_to_async(LessonRun.objects.values_list("janus_instance", flat=True).get)(pk=run_id)
    assert stored == B


def people_in(run_id: int, instance: str, usernames: list[str], school: dict) -> None:
    """The run's room is on ``instance`` with these people connected."""
    LessonRun.objects.filter(pk=run_id).update(janus_instance=instance)
    now = timezone.now()
    for name in usernames:
        participant = Participant.objects.create(run_id=run_id, user=school[name], role=Participant.Role.STUDENT)
        Presence.objects.create(participant=participant, joined_at=now, seen_at=now)


@pytest.mark.django_db(transaction=True)
async def test_a_new_lesson_goes_to_the_least_busy_live_janus_and_leaves_a_dead_one(school, settings, answering):
    settings.JANUS_URLS = [A, B]
    busy, new = [await database_sync_to_async(make_run)(school) for _ in range(2)]
    await database_sync_to_async(people_in)(busy, A, ["teacher", "student"], school)

    assert await janus_placement.instance_for_run(new) == B  # A carries two people, B nobody
    assert await janus_placement.instance_for_run(new) == B  # kept while B is live
    answering[B] = False
    await janus_placement.report_failure(B)  # a socket's session on B broke, and B does not answer ping
    assert await janus_placement.instance_for_run(new) == A
    answering[A] = False
    await janus_placement.report_failure(A)
    with pytest.raises(janus_placement.NoLiveInstance):
        await janus_placement.instance_for_run(new)
    answering[B] = True  # B restarted: the next join finds it (A is the run's, still dead, so it moves)
    await (await health.instance_health()).check_all()
    assert await janus_placement.instance_for_run(new) == B
