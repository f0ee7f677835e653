"""What the live exam says about a session and an episode: the plain dicts that go into WebSocket frames.

The changes themselves are :mod:`proctor.actions`, which announce these summaries and payloads.
"""

from __future__ import annotations

from typing import TypedDict

from ..models import Episode, ExamSession, ReferencePhoto
from .exam_chat import exam_chat_id


class SessionClosed(Exception):
    """The session has ended (the exam's time ran out, or it was submitted or ended); it cannot be resumed."""


class NotRunning(Exception):
    """The session is not running with a confirmed identity: the exam's tasks are not released to it."""


class NotReopenable(Exception):
    """A proctor asked to reopen a session that cannot be: it is not ended, or its exam's time is up."""


class ExamTasks(TypedDict):
    """What the student sits the exam with, released only to a running session with a confirmed identity."""

    materials: str
    lms_url: str
    deadline: str  # ISO 8601: the attempt's deadline, counted from the first release


class SessionSummary(TypedDict):
    """A session as the student's page and the proctors' dashboard see it (part of several frames)."""

    session: int
    student: str
    state: str
    state_label: str
    identity: str
    identity_label: str
    open_episodes: int
    episodes: int
    end_reason: str
    chat_room: int | None
    reference_to_confirm: bool  # the student took their reference from the camera: staff should confirm it


def session_summary(session: ExamSession) -> SessionSummary:
    open_count = session.episodes.filter(ended_at__isnull=True).count()
    return {
        "session": session.pk,
        "student": session.student.full_name or session.student.username,
        "state": session.state,
        "state_label": str(session.get_state_display()),
        "identity": session.identity,
        "identity_label": str(session.get_identity_display()),
        "open_episodes": open_count,
        "episodes": session.episodes.count(),
        "end_reason": session.end_reason,
        "chat_room": exam_chat_id(session.pk),
        "reference_to_confirm": ReferencePhoto.objects.filter(
            student_id=session.student_id, needs_confirmation=True
        ).exists(),
    }


class EpisodePayload(TypedDict):
    id: int
    session: int
    kind: str
    started_at: str
    ended_at: str | None
    peak: float | None
    has_evidence: bool


def episode_payload(episode: Episode) -> EpisodePayload:
    return {
        "id": episode.pk,
        "session": episode.session_id,
        "kind": episode.kind,
        "started_at": episode.started_at.isoformat(),
        "ended_at": episode.ended_at.isoformat() if episode.ended_at else None,
        "peak": episode.peak,
        "has_evidence": bool(episode.evidence),
    }
