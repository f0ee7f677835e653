"""The student's exam socket protocol (docs/exam-protocol.md): what the page may send and what it receives.

The client → server schemas are checked by the kit in :mod:`server.ws` before
:class:`proctor.media.exam_socket.ExamSessionConsumer` handles a message; the frames it sends are typed here.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from server.ws import Choice, Schema, Sdp

from ..live.browser_events import BROWSER_EVENTS
from ..live.sessions import ExamTasks, SessionSummary
from .grades import SenderParameters

MAX_SDP_BYTES = 12_000  # a proctor's complete (non-trickle) recvonly live-view offer
# A student's complete offer: camera, microphone and screen, each section with its ICE candidates (Chromium's
# three sections with one host candidate are ~9,400 bytes; machines with several interfaces add lines to each).
MAX_OFFER_BYTES = 16_000

SCHEMAS: dict[str, Schema] = {
    "offer": {"sdp": Sdp(max_bytes=MAX_OFFER_BYTES, media=("video",))},
    "identity.check": {},
    "reference.capture": {},
    "materials": {},
    "browser_event": {"event": Choice(choices=BROWSER_EVENTS, error="bad_event")},
    "submit": {},
    "ping": {},
}


class SessionState(SessionSummary):
    type: Literal["session.state"]


class ConnectedState(SessionState):
    """The first frame: the session, and what the page needs to start streaming."""

    has_reference: bool
    ice_servers: list[dict[str, object]]  # RTCIceServer dictionaries from settings.RTC_ICE_SERVERS
    grade: SenderParameters


class Answer(TypedDict):
    type: Literal["answer"]
    sdp: str


class MediaOk(SessionSummary):
    type: Literal["media.ok"]


class MediaLost(TypedDict):
    type: Literal["media.lost"]
    state: str  # the peer's connection state, "track_ended", or "worker_lost": the session moved, offer again


class IdentityChecking(TypedDict):
    type: Literal["identity.checking"]


class IdentityResult(SessionSummary):
    """Passed or not: the similarity score is never sent to the student (proctors see it)."""

    type: Literal["identity.result"]
    passed: bool


class ReferenceCapturing(TypedDict):
    type: Literal["reference.capturing"]


class GateReason(TypedDict):
    code: str  # a proctor.quality.REASONS code: no_face, multiple_faces, face_too_small, blurry, ...
    message: str


class ReferenceResult(TypedDict):
    type: Literal["reference.result"]
    ok: bool
    reasons: list[GateReason]  # empty when ok


class Materials(ExamTasks):
    """The answer to ``materials``: the exam's tasks, sent only to a running session with a confirmed identity."""

    type: Literal["materials"]


class EventRecorded(TypedDict):
    type: Literal["event.recorded"]
    event: str


class GradeFrame(TypedDict):
    type: Literal["grade"]
    name: Literal["analysis", "live"]
    grade: SenderParameters


class WarningFrame(TypedDict):
    type: Literal["warning"]
    text: str


class SessionReplaced(TypedDict):
    type: Literal["session.replaced"]


class SessionEnded(TypedDict):
    type: Literal["session.ended"]
    reason: str  # an ExamSession.EndReason, or "already_ended"
