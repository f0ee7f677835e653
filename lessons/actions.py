"""Every change of a live lesson that the class must hear, each publishing its own event (as in proctor.actions).

Why: the lesson socket used to write and then tell the lesson run's group by hand, so what the class heard
depended on each handler remembering to. Here each function writes (with its audit record) inside a
transaction and hands the event to :func:`server.events.publish_on_commit`: it reaches every socket of the
lesson run on every daphne process (the run's channel-layer group, :func:`group_name`) once the change has
committed, and never for a change that rolled back. The socket calls these and does the Janus side itself.

Synchronous (consumers call them through ``database_sync_to_async``); texts for people in the caller's language.
Presence bookkeeping nobody listens to live (``live.heartbeat``, ``live.bind_janus_session``, Janus's media
events) stays in :mod:`lessons.live` and :mod:`lessons.janus_events`.
"""

from __future__ import annotations

import datetime as dt

from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from server.accounts import audit
from server.accounts.models import User
from server.events import publish_on_commit

from . import live, protocol, recordings
from .access import lesson_role
from .chat_link import ensure_lesson_chat
from .models import Lesson, LessonRun, Participant, Presence, Recording
from .schedule import current_occurrence


def group_name(run_id: int) -> str:
    """The channel-layer group of a lesson run's sockets."""
    return f"lesson-run-{run_id}"


def _tell_class(run_id: int, message: protocol.LessonEvent) -> None:
    publish_on_commit(lambda: get_channel_layer().group_send(group_name(run_id), message))


def _participants_changed(run_id: int) -> None:
    _tell_class(run_id, {"type": "lesson.participants", "list": live.participants(run_id)})


def _moderation_changed(run_id: int, user_ids: list[int] | None) -> None:
    """Whose media the server now blocks (everyone's when ``user_ids`` is None), then the new list."""
    blocked = live.blocked_media(run_id, user_ids)
    _tell_class(run_id, {"type": "lesson.moderation", "blocked": {str(k): v for k, v in blocked.items()}})
    _participants_changed(run_id)


def _state_changed(run_id: int) -> None:
    _tell_class(run_id, {"type": "lesson.state", "state": live.state(run_id)})


@transaction.atomic
def join(user: User, lesson_id: int, channel_name: str) -> live.Admission:
    """Admit the user to the lesson's current run, opening their attendance interval; the class sees them arrive."""
    lesson = Lesson.objects.select_related("group").filter(pk=lesson_id).first()
    role = lesson_role(user, lesson) if lesson else None
    if lesson is None or role is None:
        raise live.Refused("forbidden", _("Вы не участник этого урока."))
    occurrence = current_occurrence(lesson)
    if occurrence is None:
        raise live.Refused("not_open", _("Вход на урок открывается за несколько минут до начала."))
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
        raise live.Refused("ended", _("Урок завершён."))
    participant, created = Participant.objects.get_or_create(run=run, user=user, defaults={"role": role})
    if participant.removed:
        raise live.Refused("removed", _("Учитель удалил вас с этого урока."))
    if run.locked and role != Participant.Role.TEACHER and (created or not participant.presences.exists()):
        raise live.Refused("locked", _("Учитель закрыл вход на урок."))
    now = timezone.now()
    presence = Presence.objects.create(participant=participant, joined_at=now, seen_at=now, channel_name=channel_name)
    admission = live.Admission(
        run_id=run.pk,
        janus_room=run.janus_room,
        participant_id=participant.pk,
        presence_id=presence.pk,
        role=role,
        title=str(lesson.title),
        ends_at=occurrence.ends_at.isoformat(),
        chat_room=run.chat_room_id,
    )
    audit.record("lessons.joined", actor=user, lesson=lesson_id, run=admission.run_id)
    _participants_changed(admission.run_id)
    return admission


@transaction.atomic
def leave(run_id: int, presence_id: int) -> None:
    """Close the attendance interval of one socket; the class sees the new list."""
    Presence.objects.filter(pk=presence_id, left_at__isnull=True).update(left_at=timezone.now())
    Participant.objects.filter(presences__pk=presence_id).update(talking=False)
    _participants_changed(run_id)


@transaction.atomic
def raise_hand(run_id: int, participant_id: int, up: bool) -> None:
    Participant.objects.filter(pk=participant_id).update(hand_raised=up)
    _participants_changed(run_id)


@transaction.atomic
def set_talking(run_id: int, participant_id: int, user_id: int, on: bool) -> None:
    """Janus says the participant started or stopped talking; remembered for people joining later."""
    Participant.objects.filter(pk=participant_id).update(talking=on)
    _tell_class(run_id, {"type": "lesson.talking", "user": user_id, "on": on})


@transaction.atomic
def moderate(run_id: int, teacher: User, target: int | None, flag: str, on: bool) -> None:
    """Set ``muted`` / ``camera_off`` for one student (``target``) or all students (None)."""
    rows = Participant.objects.filter(run_id=run_id).exclude(role=Participant.Role.TEACHER)
    if target is not None:
        rows = rows.filter(user_id=target)
    ids = list(rows.values_list("user_id", flat=True))
    if target is not None and not ids:
        raise live.Refused("unknown_user", _("Такого участника на уроке нет."))
    rows.update(**{flag: on})
    audit.record(f"lessons.{flag}", actor=teacher, run=run_id, target=target or "all", on=on)
    _moderation_changed(run_id, ids)


@transaction.atomic
def allow(run_id: int, **fields: bool) -> None:
    """Students' cameras (``camera_allowed``) / microphones (``microphone_allowed``) for the whole lesson."""
    LessonRun.objects.filter(pk=run_id).update(**fields)
    _state_changed(run_id)
    _moderation_changed(run_id, None)


@transaction.atomic
def lock(run_id: int, locked: bool) -> None:
    """Close (or reopen) the lesson to students who have not been in it yet."""
    LessonRun.objects.filter(pk=run_id).update(locked=locked)
    _state_changed(run_id)


@transaction.atomic
def remove(run_id: int, teacher: User, target: int) -> None:
    """Take a student out of the lesson for good; their sockets leave when they hear it."""
    updated = (
        Participant.objects.filter(run_id=run_id, user_id=target)
        .exclude(role=Participant.Role.TEACHER)
        .update(removed=True, hand_raised=False)
    )
    if not updated:
        raise live.Refused("unknown_user", _("Такого участника на уроке нет."))
    audit.record("lessons.removed", actor=teacher, run=run_id, target=target)
    _tell_class(run_id, {"type": "lesson.remove", "user": target})


@transaction.atomic
def end(run_id: int, teacher: User) -> None:
    """End the lesson run for everyone: every open attendance interval closes now, a recording stops."""
    now = timezone.now()
    LessonRun.objects.filter(pk=run_id, ended_at__isnull=True).update(ended_at=now)
    Presence.objects.filter(participant__run_id=run_id, left_at__isnull=True).update(left_at=now)
    _stop_recording(run_id, teacher, now)
    audit.record("lessons.ended", actor=teacher, run=run_id)
    _tell_class(run_id, {"type": "lesson.end"})


@transaction.atomic
def start_recording(run_id: int, teacher: User) -> str:
    """Start a recorded stretch of the run (the one going on, if any); the folder Janus must record into.

    Everyone in the lesson is told at once (``state.recording``), and whoever joins later by their ``joined``.
    """
    LessonRun.objects.select_for_update().get(pk=run_id)  # one stretch at a time, whoever asks at once
    recording = recordings.active(run_id)
    if recording is None:
        recording = Recording.objects.create(run_id=run_id, started_at=timezone.now(), started_by=teacher)
        audit.record("lessons.recording_started", actor=teacher, run=run_id, recording=recording.pk)
        _state_changed(run_id)
    return str(recordings.raw_dir(recording))


@transaction.atomic
def stop_recording(run_id: int, teacher: User | None) -> None:
    """Stop the run's recorded stretch (Janus has closed its files): the class is told, conversion starts."""
    _stop_recording(run_id, teacher, timezone.now())
    _state_changed(run_id)


@transaction.atomic
def abandon_recording(run_id: int, teacher: User) -> None:
    """Janus refused to start recording: the stretch never began, so it leaves no row (nor a failed recording)."""
    recording = recordings.active(run_id)
    if recording is not None:
        recording.delete()
        audit.record("lessons.recording_refused", actor=teacher, run=run_id)
    _state_changed(run_id)


def _stop_recording(run_id: int, teacher: User | None, now: dt.datetime) -> None:
    recording = recordings.active(run_id)
    if recording is None:
        return
    Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.STOPPED, stopped_at=now)
    audit.record("lessons.recording_stopped", actor=teacher, run=run_id, recording=recording.pk)
    transaction.on_commit(lambda: recordings.start_conversion(recording.pk))


@transaction.atomic
def place_media(run_id: int, expected: str, chosen: str) -> str:
    """Put the run's Janus room on ``chosen`` if it is still on ``expected``; returns where it is now.

    A compare-and-set, so that processes placing the same run at once agree on one instance (the first
    write wins, the others read it). Moving a room that was somewhere already tells the class: sockets still
    on the old instance leave it and join again (``lesson.media_moved``), so nobody stays in a half room.
    """
    if LessonRun.objects.filter(pk=run_id, janus_instance=expected).update(janus_instance=chosen):
        if expected:
            audit.record("lessons.media_moved", run=run_id, source=expected, target=chosen)
            _tell_class(run_id, {"type": "lesson.media_moved", "instance": chosen})
        return chosen
    return LessonRun.objects.values_list("janus_instance", flat=True).get(pk=run_id)
