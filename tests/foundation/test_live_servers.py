"""Real daphne processes: the login page, and the channel layer across processes on real Redis."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.support import setups
from tests.support.client import Session, logged_in, receive_json


def test_login_page_is_russian_and_static_files_are_served(daphne_server):
    session = Session(daphne_server.url)
    status, body = session.get("/accounts/login/")
    assert status == 200
    assert "Вход в Classroom Live" in body.decode()
    status, css = session.get("/static/css/site.css")
    assert status == 200
    assert b"--accent" in css


async def test_websocket_refuses_foreign_origin_and_anonymous(daphne_server):
    anonymous = Session(daphne_server.url)
    ws = await anonymous.websocket("/ws/notifications/")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await receive_json(ws, timeout=5)
    assert closed.value.rcvd.code == 4401
    student = logged_in(daphne_server.url, "student")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            daphne_server.ws_url + "/ws/notifications/",
            additional_headers={"Cookie": student.cookie_header},
            origin="http://evil.example",
        )
    assert refused.value.response.status_code == 403


async def test_group_message_crosses_daphne_processes_on_redis(daphne_factory, redis_server, live_env):
    """A tab on process A hears what the same user's tab on process B did (via Redis)."""
    server_a, server_b = daphne_factory.several(2, redis_url=redis_server.url)
    notification_id = live_env.call(setups.notification, username="student", kind="test", text="t")
    tab_a = await logged_in(server_a.url, "student").websocket("/ws/notifications/")
    tab_b = await logged_in(server_b.url, "student").websocket("/ws/notifications/")
    await tab_b.send(json.dumps({"type": "notification.mark_read", "ids": [notification_id]}))
    expected = {"type": "notification.read", "ids": [notification_id]}
    assert await receive_json(tab_a) == expected  # crossed from process B to A through Redis
    assert await receive_json(tab_b) == expected
    await tab_b.send("not json")
    assert (await receive_json(tab_b))["error"] == "bad_json"
    await tab_a.close()
    await tab_b.close()
