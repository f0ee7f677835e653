"""Channel-layer groups of the live exam: the proctors' dashboard and each student's session socket."""

from __future__ import annotations

from channels.layers import get_channel_layer


def dashboard_group(exam_id: int) -> str:
    return f"proctor-exam-{exam_id}"


def session_group(session_id: int) -> str:
    return f"exam-session-{session_id}"


async def to_dashboard(exam_id: int, event: dict) -> None:
    """Push one event to every proctor dashboard of the exam (on any process)."""
    await get_channel_layer().group_send(dashboard_group(exam_id), {"type": "dashboard.event", "event": event})


async def to_session(session_id: int, action: str, **fields) -> None:
    """Tell the student's session socket to act (change grade, show a warning, end...)."""
    await get_channel_layer().group_send(
        session_group(session_id), {"type": "session.control", "action": action, **fields}
    )


async def episode(exam_id: int, kind: str, payload: dict, decided_at: float) -> None:
    """Announce an opened or closed episode (``kind`` episode.opened / episode.closed) to the exam's proctors."""
    await to_dashboard(exam_id, {"type": kind, "episode": payload, "decided_at": decided_at})
