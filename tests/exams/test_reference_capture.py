"""The reference photo is taken by the server from the student's live stream, never uploaded (issue 11, points
2 and 3), over a real daphne with the embedded media worker and an aiortc camera:

no camera before consent; the gate refuses a frame without a face and accepts a face; the student-taken
reference is flagged to the proctor's dashboard for confirmation; identity checks stop after the policy's 3
(each audited); no frame the student receives carries the similarity score."""

from __future__ import annotations

import json
import time

import pytest

from tests.exams.helpers import PhotoCamera, next_event, open_session, scenario, stream_camera
from tests.support import setups
from tests.support.client import logged_in, receive_json
from tests.support.waiting import wait_for

pytestmark = pytest.mark.media


def keys_of(frame: object) -> set[str]:
    """Every key at any depth of a JSON frame."""
    if isinstance(frame, dict):
        return set(frame).union(*(keys_of(value) for value in frame.values()))
    if isinstance(frame, list):
        return set().union(*(keys_of(value) for value in frame))
    return set()


class Recorded:
    """The student's socket, keeping every frame it received."""

    def __init__(self, ws) -> None:
        self.ws, self.frames = ws, []

    async def next(self, wanted, timeout: float = 15) -> dict:
        """The first frame for which ``wanted(frame)`` is true (others are kept too)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.frames.append(await receive_json(self.ws, timeout=left))
            if wanted(self.frames[-1]):
                return self.frames[-1]
        raise AssertionError("expected frame did not arrive in time")

    async def ask(self, message: dict, wanted, timeout: float = 15) -> dict:
        await self.ws.send(json.dumps(message))
        return await self.next(wanted, timeout)


async def test_reference_from_the_stream_after_consent_confirmed_by_staff_and_identity_limited(
    private_network, make_exam, daphne_factory, live_env
):
    _, face = scenario("second_person")
    exam_id = make_exam(None, consent=False)
    live_env.call(setups.clear_audit, username="student")
    server = daphne_factory()
    session_id = await open_session(server, exam_id)
    dashboard = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(dashboard))["type"] == "snapshot"
    ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
    student = Recorded(ws)
    hello = await student.next(lambda f: True)
    assert (hello["type"], hello["has_reference"], hello["reference_to_confirm"]) == ("session.state", False, False)

    # Point 3: no camera reaches the server before the consent (of the linked parent: the student is a minor).
    camera = PhotoCamera(None)
    refused = await student.ask({"type": "offer", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"}, _error)
    assert refused["error"] == "consent_required"
    assert (await student.ask({"type": "reference.capture"}, _error))["error"] == "consent_required"
    live_env.call(setups.parent_consents, student="student")
    pc = await stream_camera(ws, camera)
    await student.next(lambda f: f["type"] == "media.ok")

    # Point 2: the server takes the photo from the stream; the gate refuses a frame without a face.
    refused = await student.ask({"type": "reference.capture"}, lambda f: f["type"] == "reference.result")
    assert (refused["ok"], [r["code"] for r in refused["reasons"]]) == (False, ["no_face"])
    assert refused["reasons"][0]["message"].startswith("На фото не найдено лицо")
    camera.show(face)
    for _ in range(5):  # the encoder may still be sending the old picture for a moment
        result = await student.ask({"type": "reference.capture"}, lambda f: f["type"] == "reference.result")
        if result["ok"]:
            break
    assert result == {"type": "reference.result", "ok": True, "reasons": []}
    flagged = await next_event(dashboard, lambda f: f["type"] == "session.updated" and f["reference_to_confirm"], 10)
    assert flagged["session"] == session_id
    status, body = logged_in(server.url, "proctor").get(f"/proctor/sessions/{session_id}/reference.jpg")
    assert (status, body[:2]) == (200, b"\xff\xd8")
    assert logged_in(server.url, "student").get(f"/proctor/sessions/{session_id}/reference.jpg")[0] == 404
    assert (await student.ask({"type": "reference.capture"}, _error))["error"] == "reference_exists"

    # Identity checks: 3 by the default policy, then only a proctor admits; the page never sees the score.
    for _ in range(3):
        await student.ask({"type": "identity.check"}, lambda f: f["type"] == "identity.checking")
    exhausted = await student.ask({"type": "identity.check"}, _error)
    assert exhausted["error"] == "identity_attempts_exhausted"
    verdict = await student.next(lambda f: f["type"] == "identity.result", timeout=20)
    assert verdict["passed"] is True
    assert "score" not in keys_of(student.frames)
    trail = live_env.call(setups.reference_capture_audit, username="student")
    assert [kind for kind, _ in trail] == ["proctor.reference_photo"] + ["proctor.identity_attempt"] * 4
    assert trail[0][1] == {"source": "camera"}
    assert [details["granted"] for _, details in trail[1:]] == [True, True, True, False]
    await pc.close()
    await ws.close()
    await dashboard.close()


async def test_a_check_cut_off_by_a_dropped_connection_costs_no_attempt(
    private_network, make_exam, daphne_factory, live_env
):
    """A Wi-Fi drop while the identity check runs: the check decided nothing, so its attempt is given back and
    the resumed page's check is again the first of the policy's 3 (on the code before, it was the second)."""
    _, face = scenario("second_person")
    exam_id = make_exam(face)
    live_env.call(setups.clear_audit, username="student")
    server = daphne_factory()
    session_id = await open_session(server, exam_id)

    async def check_then(drop: bool) -> None:
        ws = await logged_in(server.url, "student").websocket(f"/ws/rtc/sessions/{session_id}/")
        student = Recorded(ws)
        await student.next(lambda f: f["type"] == "session.state")
        pc = await stream_camera(ws)  # no face in the synthetic picture: the check needs seconds to fail
        await student.next(lambda f: f["type"] == "media.ok")
        await student.ask({"type": "identity.check"}, lambda f: f["type"] == "identity.checking")
        if not drop:
            await student.next(lambda f: f["type"] == "identity.result", timeout=30)
        await pc.close()
        await ws.close()

    def trail() -> list[list[object]]:
        return live_env.call(setups.reference_capture_audit, username="student")

    await check_then(drop=True)
    returned = await wait_for(lambda: len(trail()) == 2 and trail(), what="the attempt given back")
    assert [kind for kind, _ in returned] == ["proctor.identity_attempt", "proctor.identity_attempt_returned"]
    assert returned[1][1] == {"session": session_id, "used": 0}
    await check_then(drop=False)
    after = trail()
    assert [(kind, details.get("attempt")) for kind, details in after[2:]] == [("proctor.identity_attempt", 1)]


def _error(frame: dict) -> bool:
    return frame["type"] == "error"
