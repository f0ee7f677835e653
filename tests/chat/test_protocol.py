"""The /ws/chat/ protocol on one real daphne (in-memory layer): send, idempotency, sync, history,
receipts, edits with their audit trail, mentions, moderation, mute, validation of bad frames."""

from __future__ import annotations

import json
import time

import pytest

from tests.chat.helpers import ChatSocket, make_room


@pytest.fixture(scope="module")
def lesson_room(live_env) -> int:
    return make_room(live_env, "lesson", ["student", "student2"], ["teacher"])


async def test_send_is_stored_sequenced_broadcast_and_idempotent(daphne_server, lesson_room):
    teacher = await ChatSocket.open(daphne_server.url, "teacher")
    student = await ChatSocket.open(daphne_server.url, "student")
    subscribed, _ = await teacher.subscribe(lesson_room)
    await student.subscribe(lesson_room)
    start = subscribed["seq"]

    ack = await teacher.say(lesson_room, "Задание на завтра: §12", client_id="c-1")
    assert ack["type"] == "ack"
    assert ack["seq"] == start + 1
    assert ack["duplicate"] is False
    message = (await student.messages(1))[0]
    assert message["seq"] == start + 1
    assert message["text"] == "Задание на завтра: §12"
    assert message["author"]["username"] == "teacher"

    again = await teacher.say(lesson_room, "Задание на завтра: §12", client_id="c-1")
    assert again["duplicate"] is True
    assert again["seq"] == ack["seq"]
    assert again["id"] == ack["id"]
    await teacher.say(lesson_room, "второе", client_id="c-2")
    after = (await student.messages(1))[0]
    assert after["seq"] == start + 2
    assert after["text"] == "второе"

    # A reconnecting client names its last seq and gets exactly what it missed, in order.
    await student.close()
    for n in range(3):
        await teacher.say(lesson_room, f"пока тебя не было {n}")
    student = await ChatSocket.open(daphne_server.url, "student", student.session)
    again_subscribed, backlog = await student.subscribe(lesson_room, after=start + 2)
    assert [m["seq"] for m in backlog] == [start + 3, start + 4, start + 5]
    assert [m["text"] for m in backlog] == [f"пока тебя не было {n}" for n in range(3)]
    assert again_subscribed["seq"] == start + 5

    # History pages backwards, over the socket and over HTTP.
    page = await student.request({"type": "history", "room": lesson_room, "before": start + 5, "limit": 2}, "history")
    assert [m["seq"] for m in page["messages"]] == [start + 3, start + 4]
    assert page["more"] is True
    status, body = student.session.get(f"/chat/rooms/{lesson_room}/messages?before={start + 3}&limit=100")
    assert status == 200
    assert [m["seq"] for m in json.loads(body)["messages"]][-2:] == [start + 1, start + 2]
    await teacher.close()
    await student.close()


async def test_reply_mention_receipts_unread_typing(daphne_server, lesson_room):
    teacher = await ChatSocket.open(daphne_server.url, "teacher")
    student = await ChatSocket.open(daphne_server.url, "student")
    student2 = await ChatSocket.open(daphne_server.url, "student2")
    for socket in (teacher, student, student2):
        await socket.subscribe(lesson_room)
    notifications = await student2.session.websocket("/ws/notifications/")

    question = await student.say(lesson_room, "Когда контрольная?")
    answer = await teacher.say(lesson_room, "@student2 и @student: в пятницу", reply_to=question["seq"])
    delivered = next(m for m in await student2.messages(2) if m["seq"] == answer["seq"])
    assert delivered["reply_to"]["seq"] == question["seq"]
    assert delivered["reply_to"]["excerpt"] == "Когда контрольная?"
    assert len(delivered["mentions"]) == 2
    note = json.loads(await notifications.recv())
    assert note["type"] == "notification.new"
    assert note["notification"]["kind"] == "chat.mention"
    await notifications.close()

    rooms = await student2.request({"type": "rooms"}, "rooms")
    mine = next(r for r in rooms["rooms"] if r["id"] == lesson_room)
    assert mine["unread"] >= 2
    assert mine["can_write"] is True

    await student2.send({"type": "read", "room": lesson_room, "seq": answer["seq"]})
    receipt = await teacher.expect("read")
    assert receipt == {"type": "read", "room": lesson_room, "user": receipt["user"], "seq": answer["seq"]}
    readers = await teacher.request({"type": "receipts", "room": lesson_room, "seq": answer["seq"]}, "receipts")
    assert "student2" in [r["username"] for r in readers["readers"]]
    rooms = await student2.request({"type": "rooms"}, "rooms")
    assert next(r for r in rooms["rooms"] if r["id"] == lesson_room)["unread"] == 0

    await student.send({"type": "typing", "room": lesson_room})
    typing = await teacher.expect("typing")
    assert typing["user"]["username"] == "student"
    for socket in (teacher, student, student2):
        await socket.close()


async def test_edit_delete_audit_trail_report_and_mute(daphne_server, lesson_room):
    teacher = await ChatSocket.open(daphne_server.url, "teacher")
    student = await ChatSocket.open(daphne_server.url, "student")
    student2 = await ChatSocket.open(daphne_server.url, "student2")
    for socket in (teacher, student, student2):
        await socket.subscribe(lesson_room)

    sent = await student.say(lesson_room, "черновик")
    seq = sent["seq"]
    done = await student.request({"type": "edit", "room": lesson_room, "seq": seq, "text": "исправлено"}, "done")
    assert done["op"] == "edit"
    updated = await student2.expect("message.updated")
    assert updated["message"]["text"] == "исправлено"
    assert updated["message"]["edited_at"]

    refused = await student2.request({"type": "delete", "room": lesson_room, "seq": seq}, "done")
    assert refused["type"] == "error"
    assert refused["error"] == "forbidden"
    hidden = await student.request({"type": "revisions", "room": lesson_room, "seq": seq}, "revisions")
    assert hidden["error"] == "forbidden"  # only moderators read the audit trail

    reported = await student2.request({"type": "report", "room": lesson_room, "seq": seq, "reason": "спам"}, "done")
    assert reported["op"] == "report"
    reports = await teacher.request({"type": "reports", "room": lesson_room}, "reports")
    assert any(r["seq"] == seq and r["reason"] == "спам" for r in reports["reports"])

    await teacher.request({"type": "delete", "room": lesson_room, "seq": seq}, "done")
    deleted = await student2.expect("message.updated")
    assert deleted["message"]["deleted"] is True
    assert deleted["message"]["text"] == ""
    trail = await teacher.request({"type": "revisions", "room": lesson_room, "seq": seq}, "revisions")
    assert [(r["action"], r["old_text"]) for r in trail["revisions"]] == [
        ("edit", "черновик"),
        ("delete", "исправлено"),
    ]

    # A reconnecting client learns about the edit/delete of a message it already had.
    resync = await ChatSocket.open(daphne_server.url, "student2", student2.session)
    await resync.send({"type": "subscribe", "rooms": [{"room": lesson_room, "after": seq, "changes_after": 0}]})
    changed = await resync.expect("message.updated")
    assert changed["message"]["seq"] <= seq
    assert changed["message"]["change"] > 0
    await resync.close()

    members = await teacher.request({"type": "members", "room": lesson_room}, "members")
    student2_id = next(m["id"] for m in members["members"] if m["username"] == "student2")
    muted = await teacher.request({"type": "mute", "room": lesson_room, "user": student2_id, "minutes": 5}, "done")
    assert muted["until"]
    refused = await student2.say(lesson_room, "можно сказать?")
    assert refused["type"] == "error"
    assert refused["error"] == "muted"
    await teacher.request({"type": "mute", "room": lesson_room, "user": student2_id, "minutes": 0}, "done")
    assert (await student2.say(lesson_room, "спасибо"))["type"] == "ack"
    for socket in (teacher, student, student2):
        await socket.close()


async def test_blocked_message_is_not_delivered_and_sender_learns_why(daphne_server, lesson_room):
    student = await ChatSocket.open(daphne_server.url, "student")
    student2 = await ChatSocket.open(daphne_server.url, "student2")
    await student.subscribe(lesson_room)
    await student2.subscribe(lesson_room)
    refused = await student.say(lesson_room, "ты сука", client_id="rude-1")
    assert refused["type"] == "error"
    assert refused["error"] == "blocked"
    assert refused["client_id"] == "rude-1"
    assert refused["reason"]
    assert refused["reason_en"]
    polite = await student.say(lesson_room, "ты молодец")
    assert polite["type"] == "ack"
    first = (await student2.messages(1))[0]
    assert first["text"] == "ты молодец"  # the blocked one never reached anybody
    await student.close()
    await student2.close()


async def test_malformed_frames_get_error_frames_and_the_socket_stays_usable(daphne_server, lesson_room):
    student = await ChatSocket.open(daphne_server.url, "student")
    cases = [
        ("{not json", "bad_json"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        ("x" * 20_000, "too_large"),
        (json.dumps({"type": "send", "room": "1", "client_id": "a", "text": "hi"}), "bad_field"),
        (json.dumps({"type": "send", "room": lesson_room, "client_id": "a", "text": 5}), "bad_field"),
        (json.dumps({"type": "send", "room": lesson_room, "text": "hi"}), "missing_field"),
        (json.dumps({"type": "history", "room": lesson_room, "limit": 10_000}), "bad_field"),
        (json.dumps({"type": "ping", "extra": 1}), "unknown_field"),
        (json.dumps({"type": "subscribe", "rooms": [5]}), "bad_field"),
        (
            json.dumps({"type": "send", "room": lesson_room, "client_id": "a", "text": "я" * 4001}, ensure_ascii=False),
            "bad_field",
        ),
        (json.dumps({"type": "typing", "room": lesson_room}), "not_subscribed"),
        (json.dumps({"type": "ping", "v": 2}), "unsupported_version"),
        (json.dumps([1, 2]), "bad_message"),
    ]
    for frame, code in cases:
        await student.send(frame)
        error = await student.expect("error")
        assert error["error"] == code, (frame[:80], error)
        assert error["detail"]
    pong = await student.request({"type": "ping", "ref": "still-there"}, "pong")
    assert pong == {"type": "pong", "ref": "still-there"}
    assert (await student.say(lesson_room, "всё ещё на связи"))["type"] == "ack"
    await student.close()


async def test_rate_limit_per_user(daphne_server, live_env):
    room = make_room(live_env, "lesson", ["student3"], [])
    student3 = await ChatSocket.open(daphne_server.url, "student3")
    # The default: bursts of 20, refilled at 2 messages per second. 100 pipelined messages (the server answers
    # each in turn) outrun the refill unless the server needs half a second for each, however busy the machine.
    burst = 100
    started = time.monotonic()
    for n in range(burst):
        await student3.send({"type": "send", "room": room, "client_id": f"burst-{n}", "text": f"сообщение {n}"})
    replies = [await student3.expect("ack", "error") for _ in range(burst)]
    elapsed = time.monotonic() - started
    accepted = [r for r in replies if r["type"] == "ack"]
    refused = [r for r in replies if r["type"] == "error"]
    assert [r["type"] for r in replies[:20]] == ["ack"] * 20  # the whole burst first
    assert len(accepted) <= 20 + 2 * elapsed + 1  # then no faster than the refill
    assert refused
    assert {r["error"] for r in refused} == {"rate_limited"}
    assert "retry in" in refused[0]["detail"]
    await student3.close()
