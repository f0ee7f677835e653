"""Database side of a live lesson: admission, presence intervals, participant list, moderation flags.

Synchronous functions; the signalling consumer calls them through ``database_sync_to_async``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from server.accounts.models import User
from server.ws import ProtocolError

from . import protocol
from .access import lesson_role
from .chat_link import ensure_lesson_chat
from .models import Lesson, LessonRun, Participant, Presence
from .schedule import current_occurrence


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


@transaction.atomic
def admit(user: User, lesson_id: int, channel_name: str) -> Admission:
    lesson = Lesson.objects.select_related("group").filter(pk=lesson_id).first()
    role = lesson_role(user, lesson) if lesson else None
    if lesson is None or role is None:
        raise Refused("forbidden", _("Вы не участник этого урока."))
    occurrence = current_occurrence(lesson)
    if occurrence is None:
        raise Refused("not_open", _("Вход на урок открывается за несколько минут до начала."))
    run, run_created = LessonRun.objects.get_or_create(
        lesson=lesson,
        starts_at=occurrence.starts_at,
        defaults={
            "camera_allowed": lesson.students_camera_allowed,
            "microphone_allowed": lesson.students_microphone_allowed,
        },
    )
    run = LessonRun.objects.select_for_update().get(pk=run.pk)
    if run_created or run.chat_room_id is None:
        run.chat_room_id = ensure_lesson_chat(lesson)
        run.save(update_fields=["chat_room_id"])
    if run.ended_at is not None:
        raise Refused("ended", _("Урок завершён."))
    participant, created = Participant.objects.get_or_create(run=run, user=user, defaults={"role": role})
    if participant.removed:
        raise Refused("removed", _("Учитель удалил вас с этого урока."))
    if run.locked and role != Participant.Role.TEACHER and (created or not participant.presences.exists()):
        raise Refused("locked", _("Учитель закрыл вход на урок."))
    now = timezone.now()
    presence = Presence.objects.create(participant=participant, joined_at=now, seen_at=now, channel_name=channel_name)
    return Admission(
        run_id=run.pk,
        janus_room=run.janus_room,
        participant_id=participant.pk,
        presence_id=presence.pk,
        role=role,
        title=str(lesson.title),
        ends_at=occurrence.ends_at.isoformat(),
        chat_room=run.chat_room_id,
    )


def bind_janus_session(presence_id: int, session_id: int) -> None:
    """Remember which Janus session carries this presence, so Janus's events can be matched to it."""
    Presence.objects.filter(pk=presence_id).update(janus_session=session_id)


def heartbeat(presence_id: int) -> None:
    Presence.objects.filter(pk=presence_id, left_at__isnull=True).update(seen_at=timezone.now())


def leave(presence_id: int) -> None:
    Presence.objects.filter(pk=presence_id, left_at__isnull=True).update(left_at=timezone.now())
    Participant.objects.filter(presences__pk=presence_id).update(talking=False)


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
    return {"locked": run.locked, "camera_allowed": run.camera_allowed, "microphone_allowed": run.microphone_allowed}


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


def set_hand(participant_id: int, up: bool) -> None:
    Participant.objects.filter(pk=participant_id).update(hand_raised=up)


def set_talking(participant_id: int, talking: bool) -> None:
    Participant.objects.filter(pk=participant_id).update(talking=talking)


def moderate(run_id: int, target: int | None, **flags: bool) -> list[int]:
    """Set muted / camera_off for one student (``target``) or all students (None); return their ids."""
    rows = Participant.objects.filter(run_id=run_id).exclude(role=Participant.Role.TEACHER)
    if target is not None:
        rows = rows.filter(user_id=target)
    ids = list(rows.values_list("user_id", flat=True))
    if target is not None and not ids:
        raise Refused("unknown_user", _("Такого участника на уроке нет."))
    rows.update(**flags)
    return ids


def update_state(run_id: int, **fields: bool) -> None:
    LessonRun.objects.filter(pk=run_id).update(**fields)


def remove(run_id: int, target: int) -> None:
    updated = (
        Participant.objects.filter(run_id=run_id, user_id=target)
        .exclude(role=Participant.Role.TEACHER)
        .update(removed=True, hand_raised=False)
    )
    if not updated:
        raise Refused("unknown_user", _("Такого участника на уроке нет."))


def end(run_id: int) -> None:
    now = timezone.now()
    LessonRun.objects.filter(pk=run_id, ended_at__isnull=True).update(ended_at=now)
    Presence.objects.filter(participant__run_id=run_id, left_at__isnull=True).update(left_at=now)
