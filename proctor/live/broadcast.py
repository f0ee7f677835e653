"""Channel-layer groups of the live exam: the proctors' dashboard and each student's session socket.

A message to a session's group is ``session.<action>`` and reaches the exam socket's ``session_<action>``
handler (Channels' rule: the handler's name is the message type); the shapes are typed below.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from channels.layers import get_channel_layer

from .sessions import EpisodePayload, SessionSummary

# --- events for the exam's dashboards (sent on by the dashboard socket as frames) ------------------


class SessionUpdated(SessionSummary):
    type: Literal["session.updated"]


class Thumbnails(TypedDict):
    """The newest thumbnail of each student (session id as a string → a JPEG data: URL)."""

    type: Literal["thumbnails"]
    images: dict[str, str]


class EpisodeEvent(TypedDict):
    type: str  # episode.opened or episode.closed
    episode: EpisodePayload
    decided_at: float  # the epoch time the engine decided


class ViewAnswer(TypedDict):
    """The media worker's answer to one proctor's live-view offer (sent to that dashboard's channel only)."""

    type: Literal["view.answer"]
    session: int
    sdp: str


class ViewError(TypedDict):
    type: Literal["view.error"]
    session: int
    detail: str  # worded by the media worker in the source language; the dashboard socket translates it


DashboardEvent = SessionUpdated | Thumbnails | EpisodeEvent


class DashboardMessage(TypedDict):
    """An event for every dashboard of the exam (:func:`to_dashboard`)."""

    type: Literal["dashboard.event"]
    event: DashboardEvent


class ViewMessage(TypedDict):
    """The media worker's reply to one dashboard's live-view offer, sent to that dashboard's channel."""

    type: Literal["dashboard.view"]
    event: ViewAnswer | ViewError


# --- orders for a student's exam socket --------------------------------------------------------------


class SessionGrade(TypedDict):
    """Send the analysis grade, or the live-view grade while a proctor watches."""

    type: Literal["session.grade"]
    grade: Literal["analysis", "live"]


class SessionWarning(TypedDict):
    type: Literal["session.warning"]
    text: str


class SessionAdmitted(TypedDict):
    type: Literal["session.admitted"]


class SessionViewOffer(TypedDict):
    """A proctor's live-view offer; the media worker answers on the proctor's channel ``reply_to``."""

    type: Literal["session.view_offer"]
    sdp: str
    source: str  # "camera" or "screen" (proctor.dashboard_protocol.VIEW_SOURCES)
    reply_to: str


class SessionViewClose(TypedDict):
    type: Literal["session.view_close"]
    reply_to: str


class SessionReplaced(TypedDict):
    """A socket of connection ``epoch`` took the session over: older ones step down."""

    type: Literal["session.replaced"]
    epoch: int


class SessionEnded(TypedDict):
    type: Literal["session.ended"]
    reason: str


def dashboard_group(exam_id: int) -> str:
    return f"proctor-exam-{exam_id}"


def session_group(session_id: int) -> str:
    return f"exam-session-{session_id}"


async def to_dashboard(exam_id: int, event: DashboardEvent) -> None:
    """Push one event to every proctor dashboard of the exam (on any process)."""
    await get_channel_layer().group_send(dashboard_group(exam_id), {"type": "dashboard.event", "event": event})


async def to_session(session_id: int, action: str, **fields: object) -> None:
    """Tell the student's session socket to act: ``session.<action>`` (change grade, show a warning, end...)."""
    await get_channel_layer().group_send(session_group(session_id), {"type": f"session.{action}", **fields})


async def episode(exam_id: int, kind: str, payload: EpisodePayload, decided_at: float) -> None:
    """Announce an opened or closed episode (``kind`` episode.opened / episode.closed) to the exam's proctors."""
    await to_dashboard(exam_id, {"type": kind, "episode": payload, "decided_at": decided_at})
