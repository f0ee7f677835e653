"""Two daphne processes on one real Redis: same messages in the same order everywhere, and a client
that is cut off again and again ends with exactly what was sent — nothing lost, doubled or reordered."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.chat.helpers import ChatSocket, make_room

FAST = {"CHAT_RATE_PER_USER": "1000/1", "CHAT_RATE_PER_ROOM": "1000/1"}


@pytest.fixture
def two_processes(daphne_factory, redis_server):
    return tuple(daphne_factory.several(2, redis_url=redis_server.url, extra_env=FAST))


async def test_clients_on_two_processes_see_the_same_order(two_processes, live_env):
    server_a, server_b = two_processes
    room = make_room(live_env, "lesson", ["student", "student2"], ["teacher", "curator"])
    reader_a = await ChatSocket.open(server_a.url, "student")
    reader_b = await ChatSocket.open(server_b.url, "student2")
    sender_a = await ChatSocket.open(server_a.url, "teacher")
    sender_b = await ChatSocket.open(server_b.url, "curator")
    for socket in (reader_a, reader_b, sender_a, sender_b):
        subscribed, _ = await socket.subscribe(room)
        assert subscribed["seq"] == 0

    async def send_many(socket: ChatSocket, name: str) -> list[int]:
        return [(await socket.say(room, f"{name} {n}"))["seq"] for n in range(25)]

    seqs_a, seqs_b = await asyncio.gather(send_many(sender_a, "A"), send_many(sender_b, "B"))
    assert sorted(seqs_a + seqs_b) == list(range(1, 51))  # one gap-free sequence across processes
    seen_a = [(m["seq"], m["text"]) for m in await reader_a.messages(50)]
    seen_b = [(m["seq"], m["text"]) for m in await reader_b.messages(50)]
    assert seen_a == seen_b
    assert [seq for seq, _ in seen_a] == list(range(1, 51))
    assert sorted(text for _, text in seen_a) == sorted([f"A {n}" for n in range(25)] + [f"B {n}" for n in range(25)])

    # Resending a client id through the other process returns the original, makes no copy.
    first = await sender_a.say(room, "один раз", client_id="once")
    again = await ChatSocket.open(server_b.url, "teacher")
    duplicate = await again.say(room, "один раз", client_id="once")
    assert duplicate["duplicate"] is True
    assert duplicate["seq"] == first["seq"]
    assert [m["text"] for m in await reader_b.messages(1)] == ["один раз"]
    await reader_b.send({"type": "ping"})
    assert (await reader_b.expect("message", "pong"))["type"] == "pong"  # nothing after it
    # Presence crosses processes: student2 (on B) is online for A's sockets, then goes offline.
    members = await reader_a.request({"type": "members", "room": room}, "members")
    student2 = next(m["id"] for m in members["members"] if m["username"] == "student2")
    online: set[int] = set()
    for frame in [f for f in reader_a.seen if f["type"] == "presence"]:
        online = (online | set(frame["online"])) - set(frame["offline"])
    while student2 not in online:
        frame = await reader_a.expect("presence", timeout=5)
        online = (online | set(frame["online"])) - set(frame["offline"])
    await reader_b.close()
    while student2 in online:
        frame = await reader_a.expect("presence", timeout=5)
        online = (online | set(frame["online"])) - set(frame["offline"])
    for socket in (reader_a, sender_a, sender_b, again):
        await socket.close()


async def test_client_cut_off_repeatedly_ends_with_exactly_what_was_sent(two_processes, live_env):
    server_a, server_b = two_processes
    room = make_room(live_env, "lesson", ["student"], ["teacher"])
    sender = await ChatSocket.open(server_a.url, "teacher")
    await sender.subscribe(room)
    sent = [f"сообщение {n}" for n in range(120)]
    received: list[tuple[int, str]] = []
    cuts = 0
    done_sending = asyncio.Event()

    async def send_all() -> None:
        for text in sent:
            ack = await sender.say(room, text, client_id=f"id-{text}")
            assert ack["type"] == "ack", ack
            if random.random() < 0.2:  # a client retry of the same id: never a second copy
                assert (await sender.say(room, text, client_id=f"id-{text}"))["duplicate"] is True
            await asyncio.sleep(0.005)
        done_sending.set()

    async def flaky_reader() -> None:
        nonlocal cuts
        session = None
        while len(received) < len(sent):
            reader = await ChatSocket.open(server_b.url, "student", session)
            session = reader.session
            _, backlog = await reader.subscribe(room, after=received[-1][0] if received else 0)
            received.extend((m["seq"], m["text"]) for m in backlog)
            budget = random.randint(3, 15)
            while budget > 0 and len(received) < len(sent):
                message = (await reader.expect("message", timeout=15))["message"]
                received.append((message["seq"], message["text"]))
                budget -= 1
            if len(received) < len(sent):
                reader.ws.transport.abort()  # cut off without a goodbye
                cuts += 1
                await asyncio.sleep(random.uniform(0, 0.05))
            else:
                await reader.close()

    await asyncio.wait_for(asyncio.gather(send_all(), flaky_reader()), timeout=90)
    assert cuts >= 5
    assert [text for _, text in received] == sent
    assert [seq for seq, _ in received] == list(range(1, len(sent) + 1))
    await sender.close()


async def test_changes_made_by_a_process_without_sockets_reach_the_sockets(daphne_factory, redis_server, live_env):
    """A command (no hub, no event loop) posts, edits and mutes through chat.actions: the daphne socket hears
    each change over Redis — the edit and the mute, which no tail check would ever bring, included."""
    server = daphne_factory(redis_url=redis_server.url)
    room = make_room(live_env, "lesson", ["student"], ["teacher"])
    reader = await ChatSocket.open(server.url, "student")
    await reader.subscribe(room)
    members = (await reader.request({"type": "members", "room": room}, "members"))["members"]
    student_id = next(m["id"] for m in members if m["username"] == "student")
    live_env.manage(
        "shell",
        "-c",
        "from chat import actions; from server.accounts.models import User\n"
        "teacher = User.objects.get(username='teacher')\n"
        f"message, _ = actions.post_message(teacher, {room}, 'from-a-command', 'Домашнее задание: §7')\n"
        f"actions.edit_message(teacher, {room}, message.seq, 'Домашнее задание: §8')\n"
        f"actions.mute_member(teacher, {room}, {student_id}, 5)\n",
        extra_env={"REDIS_URL": redis_server.url},
    )
    assert [m["text"] for m in await reader.messages(1)] == ["Домашнее задание: §7"]
    assert (await reader.expect("message.updated"))["message"]["text"] == "Домашнее задание: §8"
    muted = await reader.expect("muted")
    assert (muted["room"], muted["user"], muted["until"] is not None) == (room, student_id, True)
    await reader.close()
