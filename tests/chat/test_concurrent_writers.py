"""Many writers, one room, two daphne processes on PostgreSQL: the room's seqs come out 1..N with no gap, no
double and no error. The seq is allocated in the message's own transaction (chat.actions), so two processes
writing at once must serialise on the room's counter row — PostgreSQL really runs them in parallel, where
SQLite's single writer lock hid any mistake."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.chat.helpers import ChatSocket, make_room

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WRITERS = ["teacher", "curator", "student", "student2"]  # each writes from one socket on each process
MESSAGES_PER_WRITER = 500
WINDOW = 10
FAST = {"CHAT_RATE_PER_USER": "100000/1", "CHAT_RATE_PER_ROOM": "100000/1", "DB_CONN_MAX_AGE": "60"}


async def write_all(socket: ChatSocket, room: int, name: str) -> list[dict]:
    """Send every message with up to WINDOW unacknowledged (a pipelining client), reading acks meanwhile."""
    window = asyncio.Semaphore(WINDOW)

    async def send() -> None:
        for n in range(MESSAGES_PER_WRITER):
            await window.acquire()
            await socket.send({"type": "send", "room": room, "client_id": f"{name}-{n}", "text": f"сообщение {n}"})

    async def collect() -> list[dict]:
        replies = []
        for _ in range(MESSAGES_PER_WRITER):
            replies.append(await socket.expect("ack", "error", timeout=120))
            window.release()
        return replies

    _, replies = await asyncio.gather(send(), collect())
    return replies


async def test_eight_writers_on_two_processes_get_seqs_one_to_n(daphne_factory, redis_server, live_env):
    processes = daphne_factory.several(2, redis_url=redis_server.url, extra_env=FAST)
    room = make_room(live_env, "lesson", WRITERS[2:], WRITERS[:2])
    sockets = [await ChatSocket.open(server.url, user) for server in processes for user in WRITERS]
    run = uuid.uuid4().hex  # client ids only: the texts are fixed (a random tail can read as leetspeak abuse)
    names = [f"{user}@{i // len(WRITERS)}-{run}" for i, user in enumerate(WRITERS * 2)]

    replies = await asyncio.wait_for(
        asyncio.gather(*(write_all(socket, room, name) for socket, name in zip(sockets, names, strict=True))),
        timeout=600,
    )

    frames = [frame for writer in replies for frame in writer]
    assert [f for f in frames if f["type"] != "ack" or f["duplicate"]] == []  # no error, nothing taken twice
    total = len(sockets) * MESSAGES_PER_WRITER
    assert sorted(f["seq"] for f in frames) == list(range(1, total + 1))
    for writer in replies:  # each socket's own messages keep their order
        seqs = [f["seq"] for f in writer]
        assert seqs == sorted(seqs)
    reader = await ChatSocket.open(processes[1].url, "student")
    subscribed, _ = await reader.subscribe(room, after=total)
    assert subscribed["seq"] == total  # the stored room counter: nothing allocated and then lost
    for socket in (*sockets, reader):
        await socket.close()
