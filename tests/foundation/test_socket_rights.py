"""Rights follow the user onto open sockets (issue 11 point 5, server.ws.rights): a rights change closes or
narrows the user's sockets within seconds, on every process; a user who must change the password gets none.

Changes made by a set-up process reach the daphne processes through Redis (``redis_url``); logging out and
changing the password are done over HTTP, as a browser would, on one daphne with the in-memory layer."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets

from server.ws import CloseCode
from tests.chat.helpers import ChatSocket
from tests.support import setups
from tests.support.client import Session, logged_in

TIMEOUT = 15.0  # generous: the change takes effect within about a second


async def close_code(ws: websockets.ClientConnection, timeout: float = TIMEOUT) -> int:
    """Read frames until the server closes the socket; its close code."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                await ws.recv()
            except websockets.ConnectionClosed as closed:
                received = closed.rcvd
                break
    assert received is not None, "closed without a close frame"
    return received.code


async def still_open(socket: ChatSocket) -> None:
    await socket.send({"type": "ping"})
    assert (await socket.expect("pong"))["type"] == "pong"


def fresh_user(live_env, role: str, group: str | None = None) -> str:
    username = f"r{uuid.uuid4().hex[:10]}"
    live_env.call(setups.add_user, username=username, role=role, group=group)
    return username


@pytest.fixture
def two_processes(daphne_factory, redis_server):
    return tuple(daphne_factory.several(2, redis_url=redis_server.url))


# ----- on two processes, the change made by another process (Redis) ------------------------------------------
async def test_deactivation_closes_every_socket_of_the_user_on_every_process(two_processes, live_env, redis_server):
    server_a, server_b = two_processes
    username = fresh_user(live_env, "teacher")
    chat = await ChatSocket.open(server_a.url, username)
    notifications = await logged_in(server_b.url, username).websocket("/ws/notifications/")
    other = await ChatSocket.open(server_b.url, "teacher")  # another user's socket stays

    live_env.call(setups.deactivate, redis_url=redis_server.url, username=username)

    assert await close_code(chat.ws) == CloseCode.UNAUTHENTICATED
    assert await close_code(notifications) == CloseCode.UNAUTHENTICATED
    await still_open(other)
    await other.close()


async def test_required_password_change_closes_open_sockets(two_processes, live_env, redis_server):
    server_a, _ = two_processes
    username = fresh_user(live_env, "teacher")
    chat = await ChatSocket.open(server_a.url, username)
    live_env.call(setups.require_password_change, redis_url=redis_server.url, username=username)
    assert await close_code(chat.ws) == CloseCode.UNAUTHENTICATED


async def test_removal_from_a_group_drops_its_chat_and_keeps_the_socket(two_processes, live_env, redis_server):
    _, server_b = two_processes
    student = fresh_user(live_env, "student")
    classmate = fresh_user(live_env, "student")
    group = f"Г{uuid.uuid4().hex[:8]}"
    rooms = live_env.call(setups.group_with, name=group, students=[student, classmate], parents={})
    chat = await ChatSocket.open(server_b.url, student)
    subscribed, _ = await chat.subscribe(rooms["group"])
    assert subscribed["type"] == "subscribed"

    live_env.call(setups.remove_from_group, redis_url=redis_server.url, username=student, group=group)

    lost = await chat.expect("unsubscribed", timeout=TIMEOUT)
    assert lost == {"type": "unsubscribed", "room": rooms["group"], "reason": "access_lost"}
    await still_open(chat)
    refused = await chat.request({"type": "subscribe", "rooms": [{"room": rooms["group"]}]}, "subscribed")
    assert refused["type"] == "error"
    await chat.close()


async def test_unlinked_parent_loses_the_parents_chat(two_processes, live_env, redis_server):
    _, server_b = two_processes
    child = fresh_user(live_env, "student")
    parent = fresh_user(live_env, "parent")
    group = f"Г{uuid.uuid4().hex[:8]}"
    rooms = live_env.call(setups.group_with, name=group, students=[child], parents={parent: child})
    chat = await ChatSocket.open(server_b.url, parent)
    await chat.subscribe(rooms["parents"])

    live_env.call(setups.unlink_parent, redis_url=redis_server.url, parent=parent, child=child)

    lost = await chat.expect("unsubscribed", timeout=TIMEOUT)
    assert lost == {"type": "unsubscribed", "room": rooms["parents"], "reason": "access_lost"}
    await chat.close()


async def test_removed_role_narrows_the_chat(two_processes, live_env, redis_server):
    server_a, _ = two_processes
    admin = fresh_user(live_env, "admin")
    rooms = live_env.call(setups.group_chats)
    chat = await ChatSocket.open(server_a.url, admin)
    await chat.subscribe(rooms["group:9А"])  # administrators read every room

    live_env.call(setups.remove_role, redis_url=redis_server.url, username=admin, role="admin")

    lost = await chat.expect("unsubscribed", timeout=TIMEOUT)
    assert lost == {"type": "unsubscribed", "room": rooms["group:9А"], "reason": "access_lost"}
    await chat.close()


async def test_proctor_taken_off_the_exam_loses_the_dashboard(two_processes, live_env, redis_server):
    _, server_b = two_processes
    proctor = fresh_user(live_env, "proctor")
    exam = live_env.call(setups.exam_proctored_by, title="Права", proctor=proctor)
    dashboard = await logged_in(server_b.url, proctor).websocket(f"/ws/proctor/exams/{exam}/")
    snapshot = json.loads(await asyncio.wait_for(dashboard.recv(), TIMEOUT))
    assert snapshot["type"] == "snapshot"

    live_env.call(setups.unassign_proctors, redis_url=redis_server.url, exam=exam)

    assert await close_code(dashboard) == CloseCode.FORBIDDEN


# ----- one process (in-memory layer), changes over HTTP as a browser makes them ----------------------------------
async def test_logout_closes_that_sessions_sockets_only(daphne_server, live_env):
    username = fresh_user(live_env, "teacher")
    leaving = logged_in(daphne_server.url, username)
    staying = logged_in(daphne_server.url, username)
    chat = await ChatSocket.open(daphne_server.url, username, leaving)
    notifications = await leaving.websocket("/ws/notifications/")
    other_tab = await ChatSocket.open(daphne_server.url, username, staying)

    status, _, _ = leaving.post_form("/accounts/logout/", {})
    assert status == 302

    # The session is gone: the page reconnects (RIGHTS_CHANGED), and the new connection is refused.
    assert await close_code(chat.ws) == CloseCode.RIGHTS_CHANGED
    assert await close_code(notifications) == CloseCode.RIGHTS_CHANGED
    assert await close_code(await leaving.websocket("/ws/chat/")) == CloseCode.UNAUTHENTICATED
    await still_open(other_tab)
    await other_tab.close()


async def test_password_change_closes_the_other_sessions_sockets(daphne_server, live_env):
    username = fresh_user(live_env, "teacher")
    changing = logged_in(daphne_server.url, username)
    elsewhere = logged_in(daphne_server.url, username)
    here = await ChatSocket.open(daphne_server.url, username, changing)
    there = await ChatSocket.open(daphne_server.url, username, elsewhere)

    new_password = "Nov-parol-2026!x"
    status, _, _ = changing.post_form(
        "/accounts/password/change/",
        {"old_password": f"{username}-demo", "new_password1": new_password, "new_password2": new_password},
    )
    assert status == 302

    # The other browser's session no longer matches the password: its socket closes and its reconnect is refused.
    assert await close_code(there.ws) == CloseCode.RIGHTS_CHANGED
    assert await close_code(await elsewhere.websocket("/ws/chat/")) == CloseCode.UNAUTHENTICATED
    # This browser's session was renewed: its socket reconnects with the new session and works.
    assert await close_code(here.ws) == CloseCode.RIGHTS_CHANGED
    again = await ChatSocket.open(daphne_server.url, username, changing)
    await still_open(again)
    await again.close()


async def test_user_who_must_change_the_password_gets_no_socket(daphne_server, live_env):
    username = fresh_user(live_env, "teacher")
    session = Session(daphne_server.url)
    session.login(username, f"{username}-demo")
    live_env.call(setups.require_password_change, username=username)
    for path in ("/ws/chat/", "/ws/notifications/"):
        assert await close_code(await session.websocket(path)) == CloseCode.UNAUTHENTICATED


async def test_student_taken_out_of_the_group_is_removed_from_the_lesson(
    daphne_factory, janus_server, redis_server, live_env
):
    server = daphne_factory(redis_url=redis_server.url, extra_env=janus_server.env)
    student = fresh_user(live_env, "student")
    group = f"Г{uuid.uuid4().hex[:8]}"
    live_env.call(setups.group_with, name=group, students=[student], parents={})
    lesson = live_env.call(setups.lesson_now, group=group, teacher="teacher", started_minutes_ago=1)
    ws = await logged_in(server.url, student).websocket(f"/ws/lessons/{lesson}/")
    await ws.send(json.dumps({"type": "join"}))
    while (frame := json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))["type"] != "joined":
        assert frame["type"] != "error", frame

    live_env.call(setups.remove_from_group, redis_url=redis_server.url, username=student, group=group)

    while (frame := json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))["type"] != "removed":
        pass
    assert await close_code(ws) == CloseCode.FORBIDDEN
