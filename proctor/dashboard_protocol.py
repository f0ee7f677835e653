"""The proctors' dashboard socket protocol (docs/dashboard-protocol.md).

Every command names a session of the dashboard's exam; the kit in :mod:`server.ws` checks the fields,
:class:`proctor.dashboard_socket.DashboardConsumer` checks that the session belongs to the exam. Besides
the ``snapshot`` below, the socket sends on the exam's events (:mod:`proctor.live.broadcast`).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from server.ws import Bool, Choice, Int, Schema, Sdp, Str

from .live.sessions import SessionSummary
from .media.protocol import MAX_SDP_BYTES

MAX_WARNING_CHARS = 500
SESSION = Int(min=1, error="bad_session")
VIEW_SOURCES = ("camera", "screen")  # what a live view shows: the student's camera or their shared screen

SCHEMAS: dict[str, Schema] = {
    "watch": {"session": SESSION, "on": Bool()},
    "view": {
        "session": SESSION,
        "sdp": Sdp(max_bytes=MAX_SDP_BYTES),
        "source": Choice(choices=VIEW_SOURCES, required=False, default="camera"),
    },
    "warn": {"session": SESSION, "text": Str(min=1, max=MAX_WARNING_CHARS, strip=True)},
    "admit": {"session": SESSION},
    "end": {"session": SESSION},
    "reopen": {"session": SESSION},
}


class Snapshot(TypedDict):
    """The first frame: every session of the exam."""

    type: Literal["snapshot"]
    sessions: list[SessionSummary]
