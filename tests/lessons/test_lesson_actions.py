"""lessons.actions publish their own events to the lesson run's group, once the change commits: a member of the
group (a channel on the in-memory layer, as a lesson socket is) hears each change, and nothing of one that
rolled back."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from lessons import actions
from lessons.models import Lesson, LessonRun
from server.accounts.models import User
from server.school.models import StudyGroup

pytestmark = pytest.mark.django_db(transaction=True)

HEARD_WITHIN = 10.0  # seconds: generous, the machine may be busy


def make_run(school: dict) -> int:
    now = timezone.now()
    lesson = Lesson.objects.create(
        title="Алгебра",
        group=StudyGroup.objects.get(name="9А"),
        teacher=school["teacher"],
        starts_at=now - dt.timedelta(minutes=5),
        duration_minutes=45,
    )
    return LessonRun.objects.create(lesson=lesson, starts_at=lesson.starts_at).pk


async def listener(run_id: int) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(actions.group_name(run_id), channel)
    return channel


async def heard(channel: str) -> dict:
    async with asyncio.timeout(HEARD_WITHIN):
        return await get_channel_layer().receive(channel)


async def test_the_class_hears_lock_allow_and_end(school):
    run_id = await database_sync_to_async(make_run)(school)
    channel = await listener(run_id)
    teacher: User = school["teacher"]

    await database_sync_to_async(actions.lock)(run_id, True)
    state = {"locked": True, "camera_allowed": True, "microphone_allowed": True, "recording": False}
    assert await heard(channel) == {"type": "lesson.state", "state": state}

    await database_sync_to_async(actions.allow)(run_id, camera_allowed=False)
    assert await heard(channel) == {"type": "lesson.state", "state": {**state, "camera_allowed": False}}
    assert (await heard(channel))["type"] == "lesson.moderation"
    assert await heard(channel) == {"type": "lesson.participants", "list": []}

    await database_sync_to_async(actions.end)(run_id, teacher)
    assert await heard(channel) == {"type": "lesson.end"}


async def test_a_rolled_back_change_is_not_heard(school):
    run_id = await database_sync_to_async(make_run)(school)
    channel = await listener(run_id)

    def end_then_fail() -> None:
        with transaction.atomic():
            actions.end(run_id, school["teacher"])
            raise RuntimeError("the surrounding work failed")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(end_then_fail)()
    assert await LessonRun.objects.filter(pk=run_id, ended_at__isnull=True).aexists()
    await database_sync_to_async(actions.lock)(run_id, True)
    # Events leave in commit order: had the rolled-back end been published, it would be heard first.
    assert (await heard(channel))["type"] == "lesson.state"


async def test_the_class_hears_recording_start_and_stop_and_the_stop_starts_conversion(school, monkeypatch):
    from lessons import recordings
    from lessons.models import Recording

    converted: list[int] = []
    monkeypatch.setattr(recordings, "start_conversion", converted.append)
    run_id = await database_sync_to_async(make_run)(school)
    channel = await listener(run_id)
    teacher: User = school["teacher"]
    off = {"locked": False, "camera_allowed": True, "microphone_allowed": True, "recording": False}

    folder = await database_sync_to_async(actions.start_recording)(run_id, teacher)
    assert await heard(channel) == {"type": "lesson.state", "state": {**off, "recording": True}}
    again = await database_sync_to_async(actions.start_recording)(run_id, teacher)  # a second click: the same one
    assert again == folder
    await database_sync_to_async(actions.stop_recording)(run_id, teacher)
    assert await heard(channel) == {"type": "lesson.state", "state": off}  # nothing was heard for the second start
    recording = await Recording.objects.aget(run_id=run_id)
    assert (recording.status, converted, folder.endswith(recording.folder)) == ("stopped", [recording.pk], True)

    await database_sync_to_async(actions.start_recording)(run_id, teacher)
    assert (await heard(channel))["state"]["recording"] is True
    await database_sync_to_async(actions.end)(run_id, teacher)  # the end stops it too
    assert await heard(channel) == {"type": "lesson.end"}
    statuses = [r.status async for r in Recording.objects.filter(run_id=run_id).order_by("started_at")]
    assert statuses == ["stopped", "stopped"]
    assert len(converted) == 2


async def test_a_recording_janus_refused_leaves_nothing_behind(school, monkeypatch):
    from lessons import recordings
    from lessons.models import Recording

    monkeypatch.setattr(recordings, "start_conversion", lambda recording_id: None)
    run_id = await database_sync_to_async(make_run)(school)
    channel = await listener(run_id)
    await database_sync_to_async(actions.start_recording)(run_id, school["teacher"])
    assert (await heard(channel))["state"]["recording"] is True
    await database_sync_to_async(actions.abandon_recording)(run_id, school["teacher"])
    assert (await heard(channel))["state"]["recording"] is False
    assert not await Recording.objects.filter(run_id=run_id).aexists()
