"""Database side of a live lesson that the class does not hear: who is there, the run's state, blocked media,
and presence bookkeeping (heartbeats, the Janus session of a presence).

The changes the class hears are :mod:`lessons.actions`. Synchronous functions; the signalling consumer calls
them through ``database_sync_to_async``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from server.ws import ProtocolError

from . import protocol
from .models import LessonRun, Participant, Presence, Recording


class Refused(ProtocolError):
    """The user may not enter (or act in) the lesson; the socket answers with the error frame.

    ``detail`` is in the active language: the consumer calls us in the socket's language.
    """


@dataclass(frozen=True)
class Admission:
    run_id: int
    janus_room: int
    participant_id: int
    presence_id: int
    role: str
    title: str
    ends_at: str
    chat_room: int | None


def bind_janus_session(presence_id: int, session_id: int) -> None:
    """Remember which Janus session carries this presence, so Janus's events can be matched to it."""
    Presence.objects.filter(pk=presence_id).update(janus_session=session_id)


def heartbeat(presence_id: int) -> None:
    Presence.objects.filter(pk=presence_id, left_at__isnull=True).update(seen_at=timezone.now())


def participants(run_id: int) -> list[protocol.Participant]:
    """People connected right now (at least one open presence), teacher first."""
    alive_since = timezone.now() - Presence.STALE_AFTER
    rows = (
        Participant.objects.filter(
            run_id=run_id, presences__left_at__isnull=True, presences__seen_at__gte=alive_since, removed=False
        )
        .select_related("user")
        .distinct()
    )
    listed: list[protocol.Participant] = [
        {
            "user": p.user_id,
            "name": str(p.user),
            "role": p.role,
            "hand": p.hand_raised,
            "talking": p.talking,
            "muted": p.muted,
            "camera_off": p.camera_off,
        }
        for p in rows
    ]
    return sorted(listed, key=lambda p: (p["role"] != Participant.Role.TEACHER, p["name"]))


def state(run_id: int) -> protocol.LessonState:
    run = LessonRun.objects.get(pk=run_id)
    return {
        "locked": run.locked,
        "camera_allowed": run.camera_allowed,
        "microphone_allowed": run.microphone_allowed,
        "recording": run.recordings.filter(status=Recording.Status.RECORDING).exists(),
    }


def blocked_media(run_id: int, user_ids: list[int] | None = None) -> dict[int, protocol.Blocked]:
    """Per user: whether the server must keep their audio / video muted in Janus."""
    run = LessonRun.objects.get(pk=run_id)
    rows = Participant.objects.filter(run=run)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    result: dict[int, protocol.Blocked] = {}
    for p in rows:
        student = p.role != Participant.Role.TEACHER
        result[p.user_id] = {
            "audio": student and (p.muted or not run.microphone_allowed),
            "video": student and (p.camera_off or not run.camera_allowed),
        }
    return result
