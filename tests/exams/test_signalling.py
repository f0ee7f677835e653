"""The student's and the proctor's sockets over a real daphne: bad messages get error frames, sockets stay open;
an aiortc sender streams to the server; daphne with open peer connections stops within 5 s of SIGTERM."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.exams.helpers import next_event, open_session, stream_camera
from tests.support import setups
from tests.support.client import logged_in, receive_json

pytestmark = pytest.mark.media


async def error_for(ws, message) -> dict:
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    frame = await receive_json(ws)
    assert frame["type"] == "error", frame
    return frame


async def test_malformed_signalling_and_event_messages_get_error_frames(make_exam, daphne_factory, live_env):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    hello = await receive_json(ws)
    assert hello["type"] == "session.state"
    assert hello["ice_servers"] == []  # never aiortc's default public STUN
    assert (await error_for(ws, "{not json"))["error"] == "bad_json"
    assert (await error_for(ws, {"type": "offer"}))["error"] == "missing_field"
    assert (await error_for(ws, {"type": "offer", "sdp": "hello"}))["error"] == "bad_sdp"
    assert (await error_for(ws, {"type": "offer", "sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"}))[
        "error"
    ] == "bad_sdp"
    assert (await error_for(ws, {"type": "offer", "sdp": "v=0\r\nm=video garbage\r\n"}))["error"] == "bad_sdp"
    assert (await error_for(ws, {"type": "offer", "sdp": "v=0" + "x" * 20_000}))["error"] == "too_large"
    assert (await error_for(ws, {"type": "browser_event", "event": "rm -rf"}))["error"] == "bad_event"
    assert (await error_for(ws, {"type": "browser_event", "event": 7, "ref": 3}))["ref"] == 3
    assert (await error_for(ws, {"type": "submit", "now": True}))["error"] == "unknown_field"
    assert (await error_for(ws, {"type": "identity.check"}))["error"] == "no_reference"
    assert (await error_for(ws, {"type": "launch"}))["error"] == "unknown_type"
    assert (await error_for(ws, ["offer"]))["error"] == "bad_message"
    await ws.send(json.dumps({"type": "ping"}))
    assert (await receive_json(ws))["type"] == "pong"  # still open after all of that

    dashboard = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(dashboard))["type"] == "snapshot"
    assert (await error_for(dashboard, {"type": "warn", "session": "1"}))["error"] == "bad_session"
    assert (await error_for(dashboard, {"type": "warn", "session": session_id, "text": "  "}))["error"] == "bad_field"
    assert (await error_for(dashboard, {"type": "view", "session": session_id, "sdp": "x"}))["error"] == "bad_sdp"
    window = {"type": "view", "session": session_id, "sdp": "v=0\r\n", "source": "window"}
    assert (await error_for(dashboard, window))["error"] == "bad_field"
    assert (await error_for(dashboard, {"type": "watch", "session": session_id, "on": "yes"}))["error"] == "bad_field"
    assert (await error_for(dashboard, {"type": "watch", "session": session_id + 10_000, "on": True}))[
        "error"
    ] == "bad_session"
    assert (await error_for(dashboard, {"type": "end", "session": 2**63}))["error"] == "bad_session"
    assert (await error_for(dashboard, {"type": "reboot", "session": session_id}))["error"] == "unknown_type"
    # A valid warning reaches the student's socket.
    await dashboard.send(json.dumps({"type": "warn", "session": session_id, "text": "Смотрите в экран"}))
    assert await receive_json(ws) == {"type": "warning", "text": "Смотрите в экран"}
    await ws.close()
    await dashboard.close()


async def test_the_analysis_grade_follows_the_exam_policy(make_exam, daphne_factory, live_env):
    """The browser is asked to send exactly the frames the exam's policy analyses (whole frames a second)."""
    server = daphne_factory()
    sent = {}
    for analysis_fps in (2.0, 4.5):
        exam_id = make_exam(None, policy={"analysis_fps": analysis_fps})
        session_id = await open_session(server, exam_id)
        ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
        sent[analysis_fps] = (await receive_json(ws))["grade"]
        await ws.close()
    assert sent[2.0] == {"maxWidth": 320, "maxHeight": 240, "maxFramerate": 2, "maxBitrate": 80_000}
    assert sent[4.5] == {"maxWidth": 320, "maxHeight": 240, "maxFramerate": 5, "maxBitrate": 200_000}


async def test_other_students_and_unassigned_proctors_get_no_socket(make_exam, daphne_factory, live_env):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    live_env.call(setups.add_user, username="proctor2", role="proctor")
    for username, path in (
        ("student2", f"/ws/rtc/sessions/{session_id}/"),
        ("proctor", f"/ws/rtc/sessions/{session_id}/"),
        ("proctor2", f"/ws/proctor/exams/{exam_id}/"),
        ("student", f"/ws/proctor/exams/{exam_id}/"),
    ):
        ws = await logged_in(server.url, username).websocket(path)
        with pytest.raises(Exception) as closed:  # noqa: PT011 - websockets.ConnectionClosed subclasses
            await receive_json(ws, timeout=5)
        assert getattr(closed.value, "rcvd", None) is not None, f"{username} on {path}: {closed.value!r}"
        assert closed.value.rcvd.code == 4403, username


async def test_daphne_with_open_aiortc_sessions_stops_within_5_s_of_sigterm(private_network, make_exam, daphne_factory):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    dashboard = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    await receive_json(dashboard)
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(ws))["type"] == "session.state"

    pc = await stream_camera(ws)
    media = await next_event(ws, lambda f: f["type"] == "media.ok", timeout=15)  # frames decoded on the server
    assert media["state"] == "identity_pending"
    assert pc.connectionState == "connected"

    took = await asyncio.to_thread(server.stop)
    assert server.process.returncode is not None
    assert took < 5.0, f"daphne needed {took:.1f} s to stop after SIGTERM"
    await pc.close()


async def test_a_second_tab_takes_over_and_the_deadline_ends_the_session(make_exam, daphne_factory, live_env):
    exam_id = make_exam(None)
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    # The exam window closes in 10 s and the student was admitted: the deadline is the window's end.
    live_env.call(setups.admitted_session_closing_in, session=session_id, seconds=10)
    student = logged_in(server.url, "student")
    first = await student.websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(first))["state"] == "running"
    second = await student.websocket(f"/ws/rtc/sessions/{session_id}/")
    assert (await receive_json(second))["state"] == "running"
    assert (await next_event(first, lambda f: f["type"] == "session.replaced", timeout=5))["type"]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await receive_json(first, timeout=5)
    assert closed.value.rcvd.code == 4409
    ended = await next_event(second, lambda f: f["type"] == "session.ended", timeout=15)
    assert ended["reason"] == "timeout"
