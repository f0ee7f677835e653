"""The notifications socket's counters (docs/notifications-protocol.md) as an outside client sees them."""

from __future__ import annotations

import asyncio
import json

import websockets

from tests.chat.helpers import ChatSocket, make_room
from tests.support.client import logged_in, receive_json


async def frames_until(ws: websockets.ClientConnection, wanted: str) -> list[dict]:
    """Every frame up to and including the first of type ``wanted``."""
    seen = []
    while True:
        frame = await receive_json(ws)
        seen.append(frame)
        if frame["type"] == wanted:
            return seen


async def nothing_more(ws: websockets.ClientConnection, seconds: float = 1.0) -> list[dict]:
    try:
        return [json.loads(await asyncio.wait_for(ws.recv(), seconds))]
    except TimeoutError:
        return []


async def test_counters_follow_unread_reads_and_mentions(daphne_server, live_env):
    room = make_room(live_env, "lesson", ["student", "student2"], ["teacher"])
    teacher = await ChatSocket.open(daphne_server.url, "teacher")
    student2 = await ChatSocket.open(daphne_server.url, "student2")
    await student2.subscribe(room)
    await teacher.subscribe(room)
    await teacher.say(room, "Первое сообщение до подписки на счётчики")

    session = logged_in(daphne_server.url, "student2")
    following = await session.websocket("/ws/notifications/")
    plain = await session.websocket("/ws/notifications/")
    await following.send(json.dumps({"type": "counters.follow"}))
    snapshot = await receive_json(following)
    assert snapshot["type"] == "chat.unread_all"
    assert {"room": room, "unread": 1} in snapshot["rooms"]

    mention = await teacher.say(room, "@student2 не забудь тетрадь")
    frames = await frames_until(following, "chat.unread")
    assert frames[-1] == {"type": "chat.unread", "room": room, "unread": 2}
    note = next(f for f in await frames_until(plain, "notification.new") if f["type"] == "notification.new")
    assert note["notification"]["url"] == f"/chat/?room={room}&seq={mention['seq']}"
    # a socket that did not follow the counters hears only notification frames
    assert [f["type"] for f in await nothing_more(plain)] == []

    await student2.send({"type": "read", "room": room, "seq": mention["seq"]})
    frames = await frames_until(following, "chat.unread")
    assert frames[-1] == {"type": "chat.unread", "room": room, "unread": 0}
    read = next(f for f in await frames_until(plain, "notification.read") if f["type"] == "notification.read")
    assert read == {"type": "notification.read", "ids": [note["notification"]["id"]]}  # the mention was seen

    await following.send(json.dumps({"type": "counters.follow", "extra": 1}))
    assert (await frames_until(following, "error"))[-1]["error"] == "unknown_field"
    for ws in (following, plain):
        await ws.close()
    await teacher.close()
    await student2.close()
