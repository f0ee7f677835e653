"""The lesson signalling socket against real daphne and real Janus (no media): permissions,
malformed messages, forged feed ids, and a Janus restart in the middle of a lesson."""

from __future__ import annotations

import pytest
import websockets

from rtc.janus.client import JanusSession
from tests.support import setups

from .helpers import connect, expect, join, lesson_now, send


@pytest.fixture
def lesson_server(daphne_factory, janus_server):
    return daphne_factory(extra_env=janus_server.env)


async def test_non_member_and_unknown_lesson_are_refused(lesson_server, live_env):
    lesson = lesson_now(live_env)
    outsider = await connect(lesson_server.url, "student3", lesson)  # 10Б, not in 9А
    await send(outsider, {"type": "join"})
    assert (await expect(outsider, "error"))["error"] == "forbidden"
    await send(outsider, {"type": "subscribe", "feed": 1234567})
    assert (await expect(outsider, "error"))["error"] == "not_joined"
    forged = await connect(lesson_server.url, "student", 999_999)  # a lesson id that does not exist
    await send(forged, {"type": "join"})
    assert (await expect(forged, "error"))["error"] == "forbidden"
    parent = await connect(lesson_server.url, "parent", lesson)  # parents may not join unless the school allows
    await send(parent, {"type": "join"})
    assert (await expect(parent, "error"))["error"] == "forbidden"
    for ws in (outsider, forged, parent):
        await ws.close()


async def test_malformed_messages_get_error_frames_and_socket_stays(lesson_server, live_env):
    lesson = lesson_now(live_env)
    ws, joined = await join(lesson_server.url, "student", lesson)
    assert joined["me"]["role"] == "student"
    cases = [
        ("not json", "bad_json"),
        ('["a list"]', "bad_message"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "subscribe", "feed": "12"}', "bad_field"),
        ('{"type": "subscribe", "feed": -5}', "bad_field"),
        ('{"type": "publish", "source": "camera", "sdp": "hello"}', "bad_sdp"),
        ('{"type": "publish", "source": "window", "sdp": "v=0\\r\\n"}', "bad_field"),
        ('{"type": "substream", "feed": 12, "substream": 3}', "bad_field"),
        ('{"type": "mute", "user": "everyone"}', "bad_field"),
        ('{"type": "hand", "up": true, "also": 1}', "unknown_field"),
        ('{"type": "publish", "source": "screen", "sdp": "v=0\\r\\n"}', "forbidden"),  # only the teacher shares
        ('{"type": "hand", "up": "yes"}', "bad_field"),
        ('{"type": "mute", "user": "all"}', "forbidden"),  # a student cannot moderate
        ('{"type": "end"}', "forbidden"),
        ('{"type": "answer", "feed": 777, "sdp": "v=0\\r\\n"}', "unknown_feed"),
        ("x" * 70_000, "too_large"),
    ]
    for frame, code in cases:
        await ws.send(frame)
        reply = await expect(ws, "error")
        assert reply["error"] == code, (frame[:60], reply)
    await send(ws, {"type": "ping"})
    assert (await expect(ws, "pong"))["type"] == "pong"  # still open and working
    await ws.close()


async def test_forged_feed_ids_are_refused(lesson_server, live_env, janus_server):
    """A feed of another lesson's room (or a made-up one) cannot be subscribed to."""
    lesson_a, lesson_b = lesson_now(live_env), lesson_now(live_env, group="10Б", teacher="teacher2")
    other, _ = await join(lesson_server.url, "teacher2", lesson_b)
    ws, joined = await join(lesson_server.url, "student", lesson_a)
    assert joined["feeds"] == []  # nothing of room B is visible from room A
    # A participant that really is in room B, put there straight through Janus with a known id.
    foreign_feed = 2**40 + 7
    session = await janus_session(janus_server)
    try:
        handle = await session.attach()
        await session.message(
            handle,
            {
                "request": "join",
                "ptype": "publisher",
                "room": janus_room(live_env, lesson_b),
                "id": foreign_feed,
                "display": '{"u": 99, "n": "x", "s": "camera", "r": "teacher"}',
            },
        )
        for feed in (foreign_feed, 4242):
            await send(ws, {"type": "subscribe", "feed": feed})
            assert (await expect(ws, "error"))["error"] == "unknown_feed"
    finally:
        await session.destroy()
    await other.close()
    await ws.close()


async def test_janus_restart_clients_are_told_and_rejoin(lesson_server, live_env, janus_server):
    lesson = lesson_now(live_env)
    teacher, _ = await join(lesson_server.url, "teacher", lesson)
    student, _ = await join(lesson_server.url, "student", lesson)
    janus_server.restart()
    for ws in (teacher, student):
        assert (await expect(ws, "media.lost", timeout=20))["type"] == "media.lost"
    for ws in (teacher, student):
        await send(ws, {"type": "join"})
        rejoined = await expect(ws, "joined")
        assert rejoined["lesson"]["id"] == lesson
    # the room exists again on the new Janus process
    exists = await janus_exists(janus_server, janus_room(live_env, lesson))
    assert exists
    await teacher.close()
    await student.close()


def janus_room(live_env, lesson: int) -> int:
    return live_env.call(setups.janus_room, lesson=lesson)


async def janus_session(janus_server) -> JanusSession:
    async def ignore(*_):
        return None

    session = JanusSession(janus_server.config.api_url, janus_server.config.api_secret, ignore, ignore)
    await session.create()
    return session


async def janus_exists(janus_server, room: int) -> bool:
    session = await janus_session(janus_server)
    try:
        handle = await session.attach()
        return bool((await session.request(handle, {"request": "exists", "room": room})).get("exists"))
    finally:
        await session.destroy()


async def test_lock_remove_and_end_for_everyone(lesson_server, live_env):
    lesson = lesson_now(live_env)
    live_env.call(setups.add_user, username="latecomer", role="student", group="9А")
    teacher, joined = await join(lesson_server.url, "teacher", lesson)
    assert isinstance(joined["lesson"]["chat_room"], int)  # the lesson's chat room (chat app)
    student, student_joined = await join(lesson_server.url, "student", lesson)
    await send(teacher, {"type": "lock", "locked": True})
    assert (await expect(student, "state"))["state"]["locked"] is True
    late = await connect(lesson_server.url, "latecomer", lesson)
    await send(late, {"type": "join"})
    assert (await expect(late, "error"))["error"] == "locked"
    await send(teacher, {"type": "remove", "user": 424242})
    assert (await expect(teacher, "error"))["error"] == "unknown_user"
    await send(teacher, {"type": "remove", "user": student_joined["me"]["user"]})
    assert (await expect(student, "removed"))["type"] == "removed"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await expect(student, "never")
    assert closed.value.rcvd.code == 4403
    again = await connect(lesson_server.url, "student", lesson)
    await send(again, {"type": "join"})
    assert (await expect(again, "error"))["error"] == "removed"
    await send(teacher, {"type": "end"})
    assert (await expect(teacher, "ended"))["type"] == "ended"
    teacher_again = await connect(lesson_server.url, "teacher", lesson)
    await send(teacher_again, {"type": "join"})
    assert (await expect(teacher_again, "error"))["error"] == "ended"
    for ws in (late, again, teacher_again):
        await ws.close()


async def janus_recording(janus_server, room: int) -> tuple[bool, str]:
    """Whether Janus's room records now, and into which folder (``list`` with the admin key lists private rooms)."""
    session = await janus_session(janus_server)
    try:
        handle = await session.attach()
        listed = await session.request(handle, {"request": "list", "admin_key": janus_server.config.admin_key})
        found = next(r for r in listed["list"] if r["room"] == room)
        return bool(found.get("record")), str(found.get("rec_dir", ""))
    finally:
        await session.destroy()


async def test_only_the_teacher_records_and_a_recreated_room_keeps_recording(lesson_server, janus_server, live_env):
    lesson = lesson_now(live_env)
    teacher, _ = await join(lesson_server.url, "teacher", lesson)
    student, joined = await join(lesson_server.url, "student", lesson)
    assert joined["state"]["recording"] is False
    await send(student, {"type": "record", "on": True})
    assert (await expect(student, "error"))["error"] == "forbidden"

    await send(teacher, {"type": "record", "on": True})
    assert (await expect(student, "state"))["state"]["recording"] is True
    room = janus_room(live_env, lesson)
    recording, folder = await janus_recording(janus_server, room)
    assert recording
    assert folder.startswith(str(live_env.var_dir / "lesson-recordings-raw"))

    janus_server.restart()  # the room is gone; the first join after it creates it again, still recording
    for ws in (teacher, student):
        await expect(ws, "media.lost", timeout=20)
    await send(student, {"type": "join"})
    assert (await expect(student, "joined"))["state"]["recording"] is True
    assert await janus_recording(janus_server, room) == (True, folder)

    await send(teacher, {"type": "join"})
    await expect(teacher, "joined")
    await send(teacher, {"type": "record", "on": False})
    assert (await expect(student, "state"))["state"]["recording"] is False
    assert (await janus_recording(janus_server, room))[0] is False
    for ws in (teacher, student):
        await ws.close()
