"""Exam session state changes and episode records (synchronous ORM code; consumers wrap it).

Each function takes primary keys, re-reads the row and returns plain dicts that can
go straight into WebSocket frames, so callers never share ORM objects across threads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from server.accounts import audit
from server.accounts.models import User

from ..models import Episode, Exam, ExamSession
from .exam_chat import ensure_exam_chat, exam_chat_id

State = ExamSession.State
Identity = ExamSession.Identity


class SessionClosed(Exception):
    """The session has ended (or its grace period ran out); it cannot be resumed."""


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


def open_session(exam: Exam, student: User) -> ExamSession:
    """The student's session for this exam, created on first visit (the exam must be open)."""
    session, created = ExamSession.objects.get_or_create(exam=exam, student=student)
    if created:
        audit.record("proctor.session_opened", actor=student, exam=exam.pk, session=session.pk)
    ensure_exam_chat(session)  # also brings a changed proctor list up to date
    return session


def expire_if_due(session: ExamSession, now: datetime | None = None) -> ExamSession:
    """End a session whose grace period or time limit has passed (lazy check on every access)."""
    now = now or timezone.now()
    if session.state == State.PAUSED and session.disconnected_at is not None:
        if now - session.disconnected_at >= timedelta(seconds=settings.PROCTOR_RESUME_GRACE_SECONDS):
            end_session(session.pk, ExamSession.EndReason.CAMERA_LOST, at=now)
            session.refresh_from_db()
    elif session.state == State.RUNNING and session.deadline and now >= session.deadline:
        end_session(session.pk, ExamSession.EndReason.TIMEOUT, at=now)
        session.refresh_from_db()
    return session


@transaction.atomic
def connect(session_id: int, student_id: int) -> tuple[SessionSummary, int]:
    """The student's socket (re)connected: resume a paused session within its grace period.

    Returns the summary and the socket's connection epoch: the session now belongs to this socket, and
    :func:`disconnect` acts only for the socket holding the current epoch.
    """
    session = ExamSession.objects.select_for_update().select_related("exam", "student").get(pk=session_id)
    if session.student_id != student_id:
        raise PermissionError("not your session")
    expire_if_due(session)
    if session.state == State.ENDED:
        raise SessionClosed(session.end_reason)
    ExamSession.objects.filter(pk=session_id).update(connection_epoch=F("connection_epoch") + 1)
    epoch = ExamSession.objects.values_list("connection_epoch", flat=True).get(pk=session_id)
    if session.state == State.PAUSED:
        now = timezone.now()
        session.episodes.filter(kind="camera_lost", ended_at__isnull=True).update(ended_at=now)
        session.state = State.RUNNING if session.started_at else State.WAITING_CHECK
        session.disconnected_at = None
        session.save(update_fields=["state", "disconnected_at"])
        audit.record("proctor.session_resumed", actor=session.student, session=session.pk)
    return session_summary(session), epoch


@transaction.atomic
def disconnect(session_id: int, epoch: int) -> tuple[SessionSummary, EpisodePayload | None] | None:
    """The owning socket went away: pause, and record camera_lost if the exam was running.

    Returns None (and changes nothing) when the socket no longer owns the session: a newer socket has
    connected since. The ownership check and the pause are one conditional UPDATE, so a disconnect racing
    a new connect can never pause the session under the new socket.
    """
    now = timezone.now()
    paused = (
        ExamSession.objects.filter(pk=session_id, connection_epoch=epoch)
        .exclude(state=State.ENDED)
        .update(state=State.PAUSED, disconnected_at=now)
    )
    session = ExamSession.objects.select_related("student").get(pk=session_id)
    if not paused:
        return None if session.connection_epoch != epoch else (session_summary(session), None)
    session.episodes.filter(ended_at__isnull=True).update(ended_at=now)  # nothing is observed while away
    episode = None
    if session.started_at:
        episode = episode_payload(
            Episode.objects.create(session=session, kind="camera_lost", started_at=now, details={"source": "ws"})
        )
    return session_summary(session), episode


@transaction.atomic
def expire_after_grace(session_id: int, disconnected_at: datetime | None) -> SessionSummary | None:
    """Called when the grace period has run: end the session unless the student came back."""
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.state != State.PAUSED or session.disconnected_at != disconnected_at:
        return None
    end_session(session.pk, ExamSession.EndReason.CAMERA_LOST)
    session.refresh_from_db()
    return session_summary(session)


@transaction.atomic
def end_session(session_id: int, reason: str, actor: User | None = None, at: datetime | None = None) -> SessionSummary:
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.state != State.ENDED:
        now = at or timezone.now()
        session.episodes.filter(ended_at__isnull=True).update(ended_at=now)
        session.state = State.ENDED
        session.ended_at = now
        session.end_reason = reason
        session.save(update_fields=["state", "ended_at", "end_reason"])
        audit.record("proctor.session_ended", actor=actor, subject=session.student, session=session.pk, reason=reason)
    return session_summary(session)


@transaction.atomic
def media_ready(session_id: int) -> SessionSummary:
    """The camera stream works (first frame decoded): move on to the identity check."""
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.state == State.WAITING_CHECK:
        session.state = (
            State.RUNNING if session.identity in (Identity.VERIFIED, Identity.ADMITTED) else (State.IDENTITY_PENDING)
        )
        if session.state == State.RUNNING and session.started_at is None:
            session.started_at = timezone.now()
        session.save(update_fields=["state", "started_at"])
    return session_summary(session)


@transaction.atomic
def identity_result(session_id: int, passed: bool, score: float | None) -> SessionSummary:
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.state == State.ENDED or session.identity in (Identity.VERIFIED, Identity.ADMITTED):
        return session_summary(session)
    session.identity = Identity.VERIFIED if passed else Identity.FAILED
    session.identity_score = score
    if passed:
        _start(session)
    session.save()
    audit.record("proctor.identity_check", subject=session.student, session=session.pk, passed=passed, score=score)
    return session_summary(session)


@transaction.atomic
def admit(session_id: int, proctor: User) -> SessionSummary:
    """A proctor looked at the student and admits them without a face match (audited)."""
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.state == State.ENDED:
        raise SessionClosed(session.end_reason)
    session.identity = Identity.ADMITTED
    session.admitted_by = proctor
    _start(session)
    session.save()
    audit.record("proctor.manual_admit", actor=proctor, subject=session.student, session=session.pk)
    return session_summary(session)


def _start(session: ExamSession) -> None:
    if session.state in (State.IDENTITY_PENDING, State.WAITING_CHECK):
        session.state = State.RUNNING
    if session.started_at is None:
        session.started_at = timezone.now()


def open_episode(
    session_id: int, kind: str, at: datetime, peak: float | None, token: str, evidence: str
) -> EpisodePayload:
    episode = Episode.objects.create(
        session_id=session_id, kind=kind, started_at=at, peak=peak, evidence_token=token, evidence=evidence
    )
    return episode_payload(episode)


def close_episode(session_id: int, kind: str, at: datetime, peak: float | None) -> EpisodePayload | None:
    episode = Episode.objects.filter(session_id=session_id, kind=kind, ended_at__isnull=True).order_by("-id").first()
    if episode is None:
        return None
    episode.ended_at = max(at, episode.started_at)
    episode.peak = peak
    episode.save(update_fields=["ended_at", "peak"])
    return episode_payload(episode)
