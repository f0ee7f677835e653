"""Every socket protocol, fuzzed from its own schemas on a real daphne: no frame closes a socket or logs a
traceback (issue 13 "Fuzz"). A malformed frame is answered with an error frame; a well-typed frame with hostile
values is handled (or refused) with the socket still open. New message types and fields are fuzzed without
touching this file."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import given, settings

from chat.protocol import SCHEMAS as CHAT
from lessons.protocol import SCHEMAS as LESSON
from proctor.dashboard_protocol import SCHEMAS as DASHBOARD
from proctor.media.protocol import SCHEMAS as EXAM
from server.notifications.protocol import SCHEMAS as NOTIFICATIONS
from server.ws import Schema

from .frames import Frame, malformed, well_typed
from .sockets import FuzzedSocket
from .target import Target

PROTOCOLS: dict[str, Mapping[str, Schema]] = {
    "chat": CHAT,
    "notifications": NOTIFICATIONS,
    "dashboard": DASHBOARD,
    "exam": EXAM,
    "lesson": LESSON,
}
# Messages that end what the socket is about (the student's attempt, the lesson): fuzzed only malformed, so the
# rest of the run still has a subject. Their effects have their own tests (tests/exams, tests/lessons).
ENDING = {"exam": frozenset({"submit"}), "lesson": frozenset({"end"})}


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_malformed_frames_get_an_error_frame_and_the_socket_stays_open(
    protocol: str, open_sockets: dict[str, FuzzedSocket], fuzz_target: Target
) -> None:
    socket = open_sockets[protocol]
    fuzz_target.mark()

    @settings(settings.get_profile("fuzz"))
    @given(frame=malformed(PROTOCOLS[protocol]))
    def fuzz(frame: Frame) -> None:
        outcome = socket.exchange(frame)
        assert outcome.closed is None, f"{protocol}: {frame!r:.300} closed the socket ({outcome.closed})"
        assert outcome.errors, f"{protocol}: {frame!r:.300} got no error frame: {outcome.frames}"

    fuzz()
    assert fuzz_target.tracebacks() == []


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_well_typed_hostile_messages_never_close_the_socket(
    protocol: str, open_sockets: dict[str, FuzzedSocket], fuzz_target: Target
) -> None:
    socket = open_sockets[protocol]
    fuzz_target.mark()

    @settings(settings.get_profile("fuzz"))
    @given(message=well_typed(PROTOCOLS[protocol], leave_out=ENDING.get(protocol, frozenset())))
    def fuzz(message: dict) -> None:
        outcome = socket.exchange(json.dumps(message))
        assert outcome.closed is None, f"{protocol}: {message!r:.300} closed the socket ({outcome.closed})"

    fuzz()
    assert fuzz_target.tracebacks() == []
