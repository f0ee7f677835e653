"""Every change of an exam session or episode, each publishing its own event (Zulip's ``do_*`` actions).

Why: the dashboard must hear every change, however it happened. When consumers and views wrote first and
broadcast by hand, eight places built the same ``session.updated`` event and one path forgot it (a session
that timed out while the student loaded the exam page over HTTP ended without a word to the proctors). Here
each function writes inside a transaction and hands its events to :func:`server.events.publish_on_commit`:

* no path changes a session without its event: consumers, views, the media worker and the logout signal
  call these functions and never build ``session.updated`` / ``episode.*`` themselves;
* no event leaves for a write that rolled back, and an action nested in another (``connect`` ending an
  overdue session) publishes when the outer transaction commits;
* the events reach the exam's dashboard group on the channel layer (every daphne process) and, for
  ``ended`` / ``admitted`` / ``warning``, the student's session socket (:mod:`proctor.live.broadcast`).

The functions are synchronous (call them through ``database_sync_to_async`` from async code). Those the
sockets and the worker call take primary keys and return plain dicts (:func:`proctor.live.sessions.session_summary`,
``episode_payload``), so no ORM object crosses threads; the exam page's two take and return the session it holds.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone

from server.accounts import audit
from server.accounts.models import User
from server.events import publish_on_commit

from . import enrollment
from .kinds import Kind
from .live import broadcast
from .live.broadcast import SessionUpdated
from .live.exam_chat import ensure_exam_chat
from .live.sessions import (
    EpisodePayload,
    ExamTasks,
    NotReopenable,
    NotRunning,
    SessionClosed,
    SessionSummary,
    episode_payload,
    session_summary,
)
from .media import placement
from .models import Episode, Exam, ExamSession

State = ExamSession.State
Identity = ExamSession.Identity
EndReason = ExamSession.EndReason


# --- the events -------------------------------------------------------------------------------


def _session_updated(session: ExamSession) -> SessionSummary:
    """The session's summary, announced to the exam's dashboards once the change commits."""
    summary, exam_id = session_summary(session), session.exam_id
    event: SessionUpdated = {"type": "session.updated", **summary}
    publish_on_commit(lambda: broadcast.to_dashboard(exam_id, event))
    return summary


def _episode_event(exam_id: int, action: str, payload: EpisodePayload, decided_at: float) -> None:
    """``episode.opened`` / ``episode.closed``; ``decided_at`` is when the engine decided (epoch seconds)."""
    publish_on_commit(lambda: broadcast.episode(exam_id, f"episode.{action}", payload, decided_at))


def _tell_session(session_id: int, action: str, **fields: object) -> None:
    """Session control for the student's socket (``ended``, ``admitted``, ``warning``), once the change commits."""
    publish_on_commit(lambda: broadcast.to_session(session_id, action, **fields))


def _locked(session_id: int) -> ExamSession:
    return ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)


# --- the session's life -----------------------------------------------------------------------


@transaction.atomic
def open_session(exam: Exam, student: User) -> ExamSession:
    """The student's session for this exam, created on first visit (the exam must be open)."""
    session, created = ExamSession.objects.get_or_create(exam=exam, student=student)
    ensure_exam_chat(session)  # also brings a changed proctor list up to date
    if created:
        audit.record("proctor.session_opened", actor=student, exam=exam.pk, session=session.pk)
        _session_updated(session)  # the student appears on the dashboard, with their chat
    return session


@transaction.atomic
def expire_if_due(session: ExamSession, now: datetime | None = None) -> ExamSession:
    """Bring a session up to date on every access: a long gap becomes an episode, a session whose exam time is
    up ends.

    A lost connection never ends a session by itself: an interrupted attempt stays resumable until the exam's
    own time is up (:attr:`ExamSession.time_up_at`); a gap longer than ``PROCTOR_RESUME_GRACE_SECONDS`` is a
    ``camera_lost`` episode for the proctor to judge.
    """
    now = now or timezone.now()
    if session.state == State.PAUSED:
        _record_gap(session, now)
    going = session.started_at is not None or session.state == State.PAUSED
    if session.state != State.ENDED and going and now >= session.time_up_at:
        away = session.state == State.PAUSED and session.started_at is not None
        end_session(session.pk, EndReason.CAMERA_LOST if away else EndReason.TIMEOUT, at=now)
        session.refresh_from_db()
    return session


def _record_gap(session: ExamSession, now: datetime) -> None:
    """A started attempt away for longer than the grace period: one ``camera_lost`` episode from the moment it
    left (recorded once, whichever check sees it first: the socket's timer or a later access)."""
    left = session.disconnected_at
    if session.started_at is None or left is None:
        return
    if now - left < timedelta(seconds=settings.PROCTOR_RESUME_GRACE_SECONDS):
        return
    gap, created = Episode.objects.get_or_create(
        session=session, kind=Kind.CAMERA_LOST, started_at=left, defaults={"details": {"source": "ws"}}
    )
    if created:
        _session_updated(session)
        _episode_event(session.exam_id, "opened", episode_payload(gap), time.time())


def connect(session_id: int, student_id: int) -> tuple[SessionSummary, int]:
    """The student's socket (re)connected: resume a paused session (possible until the exam's time is up).

    Returns the summary and the socket's connection epoch: the session now belongs to this socket, and
    :func:`disconnect` acts only for the socket holding the current epoch. A session found overdue is ended
    (and announced) before :class:`SessionClosed` refuses the socket.
    """
    session = ExamSession.objects.select_related("exam", "student").get(pk=session_id)
    if session.student_id != student_id:
        raise PermissionError("not your session")
    expire_if_due(session)  # its own transaction: the refusal below must not roll the ending back
    return _resume(session_id)


@transaction.atomic
def _resume(session_id: int) -> tuple[SessionSummary, int]:
    session = _locked(session_id)
    if session.state == State.ENDED:
        raise SessionClosed(session.end_reason)
    ExamSession.objects.filter(pk=session_id).update(connection_epoch=F("connection_epoch") + 1)
    epoch = ExamSession.objects.values_list("connection_epoch", flat=True).get(pk=session_id)
    if session.state == State.PAUSED:
        now = timezone.now()
        session.episodes.filter(kind=Kind.CAMERA_LOST, ended_at__isnull=True).update(ended_at=now)
        # Back through the camera check: the attempt runs again (and its tasks are released again) only once
        # the new connection's camera works (media_ready).
        session.state = State.WAITING_CHECK
        session.disconnected_at = None
        session.save(update_fields=["state", "disconnected_at"])
        audit.record("proctor.session_resumed", actor=session.student, session=session.pk)
    return _session_updated(session), epoch


@transaction.atomic
def disconnect(session_id: int, epoch: int) -> SessionSummary | None:
    """The owning socket went away: pause. Nothing ends, and nothing is flagged yet (:func:`check_paused`).

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
        return None if session.connection_epoch != epoch else session_summary(session)
    session.episodes.filter(ended_at__isnull=True).update(ended_at=now)  # nothing is observed while away
    return _session_updated(session)


@transaction.atomic
def check_paused(session_id: int) -> None:
    """The timers of a paused session (the grace period, the exam's time) ran: bring it up to date."""
    session = ExamSession.objects.select_for_update().select_related("exam", "student").get(pk=session_id)
    expire_if_due(session)


@transaction.atomic
def reopen(session_id: int, proctor: User) -> SessionSummary:
    """A proctor reopens an ended session (audited): the student may come back for the time they had left.

    The clock stood still while the session was ended (the release moves on by that long); the exam's window
    still caps it. Refused (:class:`NotReopenable`) for a session still going or with no time left.
    """
    session = ExamSession.objects.select_for_update().select_related("exam", "student").get(pk=session_id)
    if session.state != State.ENDED or session.ended_at is None:
        raise NotReopenable("the session has not ended")
    now = timezone.now()
    if session.released_at is not None:
        session.released_at += now - session.ended_at
    if now >= session.time_up_at:
        raise NotReopenable("the exam's time is up")
    reason = session.end_reason
    session.state = State.PAUSED
    session.ended_at = session.disconnected_at = None
    session.end_reason = ""
    session.save(update_fields=["state", "ended_at", "disconnected_at", "end_reason", "released_at"])
    audit.record("proctor.session_reopened", actor=proctor, subject=session.student, session=session.pk, reason=reason)
    return _session_updated(session)


@transaction.atomic
def end_session(session_id: int, reason: str, actor: User | None = None, at: datetime | None = None) -> SessionSummary:
    """End the session (idempotent); its socket, if any, is told to close."""
    session = _locked(session_id)
    if session.state == State.ENDED:
        return session_summary(session)
    now = at or timezone.now()
    session.episodes.filter(ended_at__isnull=True).update(ended_at=now)
    session.state = State.ENDED
    session.ended_at = now
    session.end_reason = reason
    session.save(update_fields=["state", "ended_at", "end_reason"])
    audit.record("proctor.session_ended", actor=actor, subject=session.student, session=session.pk, reason=reason)
    _tell_session(session_id, "ended", reason=reason)
    return _session_updated(session)


def end_unfinished_sessions(student: User, reason: str) -> list[SessionSummary]:
    """End every session of the student that is still going (logging out ends monitoring)."""
    unfinished = ExamSession.objects.filter(student=student).exclude(state=State.ENDED)
    return [end_session(session_id, reason, actor=student) for session_id in unfinished.values_list("pk", flat=True)]


@transaction.atomic
def media_ready(session_id: int) -> SessionSummary:
    """The camera stream works (first frame decoded): move on to the identity check."""
    session = _locked(session_id)
    if session.state == State.WAITING_CHECK:
        identified = session.identity in (Identity.VERIFIED, Identity.ADMITTED)
        session.state = State.RUNNING if identified else State.IDENTITY_PENDING
        if session.state == State.RUNNING and session.started_at is None:
            session.started_at = timezone.now()
        session.save(update_fields=["state", "started_at"])
    return _session_updated(session)  # also when unchanged: the socket's page and the dashboard agree again


@transaction.atomic
def identity_result(session_id: int, passed: bool, score: float | None) -> SessionSummary:
    session = _locked(session_id)
    if session.state == State.ENDED or session.identity in (Identity.VERIFIED, Identity.ADMITTED):
        return _session_updated(session)  # a late verdict changes nothing; the dashboard hears the state again
    session.identity = Identity.VERIFIED if passed else Identity.FAILED
    session.identity_score = score
    if passed:
        _start(session)
    session.save()
    audit.record("proctor.identity_check", subject=session.student, session=session.pk, passed=passed, score=score)
    return _session_updated(session)


@transaction.atomic
def identity_attempt(session_id: int) -> bool:
    """Count (and audit) one identity check the student asked for; False once the exam policy's
    ``identity_attempts`` are used up (then only a proctor can admit the student; the refusal is audited too)."""
    session = ExamSession.objects.select_for_update().select_related("exam", "student").get(pk=session_id)
    allowed = session.exam.vision_policy().identity_attempts
    granted = session.identity_attempts < allowed
    if granted:
        session.identity_attempts += 1
        session.save(update_fields=["identity_attempts"])
    audit.record(
        "proctor.identity_attempt",
        subject=session.student,
        session=session.pk,
        attempt=session.identity_attempts,
        allowed=allowed,
        granted=granted,
    )
    return granted


@transaction.atomic
def identity_check_interrupted(session_id: int) -> None:
    """The connection dropped while a check the student asked for was running: the media worker dropped it with
    the stream, so it decided nothing and gives its attempt back (audited). A Wi-Fi drop never costs the student
    one of the policy's ``identity_attempts``; a resumed page asks again and that check counts."""
    session = ExamSession.objects.select_for_update().select_related("student").get(pk=session_id)
    if session.identity_attempts == 0 or session.identity in (Identity.VERIFIED, Identity.ADMITTED):
        return
    session.identity_attempts -= 1
    session.save(update_fields=["identity_attempts"])
    returned = session.identity_attempts
    audit.record("proctor.identity_attempt_returned", subject=session.student, session=session.pk, used=returned)


@transaction.atomic
def confirm_reference(session_id: int, staff: User, request: HttpRequest | None = None) -> SessionSummary:
    """A proctor compared the student-taken reference with the live face and confirms it (audited)."""
    session = ExamSession.objects.select_related("student").get(pk=session_id)
    if (photo := enrollment.current_reference(session.student)) is not None and photo.needs_confirmation:
        enrollment.confirm_reference(photo, staff, request)
    return _session_updated(session)


def reference_taken(session_id: int) -> SessionSummary:
    """The student took their reference from the camera: the dashboard shows it for confirmation."""
    return _session_updated(ExamSession.objects.select_related("student").get(pk=session_id))


@transaction.atomic
def admit(session_id: int, proctor: User) -> SessionSummary:
    """A proctor looked at the student and admits them without a face match (audited)."""
    session = _locked(session_id)
    if session.state == State.ENDED:
        raise SessionClosed(session.end_reason)
    session.identity = Identity.ADMITTED
    session.admitted_by = proctor
    _start(session)
    session.save()
    audit.record("proctor.manual_admit", actor=proctor, subject=session.student, session=session.pk)
    _tell_session(session_id, "admitted")
    return _session_updated(session)


@transaction.atomic
def warn(session_id: int, proctor: User, text: str) -> None:
    """A proctor's warning (audited) appears on the student's exam page."""
    session = ExamSession.objects.select_related("student").get(pk=session_id)
    audit.record("proctor.warning", actor=proctor, subject=session.student, session=session_id, text=text)
    _tell_session(session_id, "warning", text=text)


@transaction.atomic
def release_tasks(session_id: int) -> ExamTasks:
    """The exam's materials and LMS address, for a running session with a confirmed identity only.

    The first release starts the exam's timer (the deadline counts from it) and is audited; a resumed page
    asks again and gets the same tasks and deadline. Anything short of running and verified or admitted
    raises :class:`NotRunning`: the tasks never reach a browser before proctoring does.
    """
    session = ExamSession.objects.select_for_update().select_related("exam", "student").get(pk=session_id)
    if session.state != State.RUNNING or session.identity not in (Identity.VERIFIED, Identity.ADMITTED):
        raise NotRunning(session.state)
    if session.released_at is None:
        session.released_at = timezone.now()
        session.save(update_fields=["released_at"])
        audit.record("proctor.tasks_released", subject=session.student, session=session.pk)
        _session_updated(session)
    deadline = session.deadline
    assert deadline is not None  # released just above
    return {"materials": session.exam.materials, "lms_url": session.exam.lms_url, "deadline": deadline.isoformat()}


def _start(session: ExamSession) -> None:
    if session.state in (State.IDENTITY_PENDING, State.WAITING_CHECK):
        session.state = State.RUNNING
    if session.started_at is None:
        session.started_at = timezone.now()


# --- the session's media worker --------------------------------------------------------------


@transaction.atomic
def place_media(session_id: int, lost: int | None = None) -> int | None:
    """The media worker for the session's socket: the one holding the session while it lives, else the least
    loaded live one (:mod:`proctor.media.placement`); None while no worker is live.

    ``lost``: a worker the caller found dead (its watch, or the worker said it stops). A running session moved
    off a dead worker keeps everything that worker decided; the episodes it still had open end when it was
    last heard from (nothing was observed after), and the gap becomes one ``camera_lost`` episode from then,
    which the next worker's engine continues until its first frame (proctor.media.worker), so it is neither
    re-opened nor doubled. Whoever comes second (another socket, the watch after the worker's own notice)
    finds the session moved and gets its new worker.
    """
    session = _locked(session_id)
    current = session.media_worker
    if current is not None and current.pk != lost and placement.is_live(current.pk):
        return current.pk
    if current is not None and session.state == State.RUNNING:
        _camera_lost_since(session, current.heartbeat_at)
    chosen = placement.choose(placement.live_loads(exclude=current.pk if current is not None else None))
    session.media_worker_id = chosen.worker_id if chosen is not None else None
    session.save(update_fields=["media_worker"])
    return session.media_worker_id


def _camera_lost_since(session: ExamSession, at: datetime) -> None:
    left_open = session.episodes.filter(ended_at__isnull=True)
    left_open.exclude(kind=Kind.CAMERA_LOST).update(ended_at=Greatest(F("started_at"), Value(at)))
    if left_open.filter(kind=Kind.CAMERA_LOST).exists():
        return  # the camera was already lost before the worker died: that episode goes on
    gap = Episode.objects.create(
        session=session, kind=Kind.CAMERA_LOST, started_at=at, details={"source": "media_worker"}
    )
    _session_updated(session)
    _episode_event(session.exam_id, "opened", episode_payload(gap), time.time())


# --- episodes (the media worker records what the episode engine decided) ---------------------


@transaction.atomic
def open_episode(
    session_id: int, kind: str, at: datetime, peak: float | None, token: str, evidence: str, decided_at: float
) -> EpisodePayload:
    episode = Episode.objects.create(
        session_id=session_id, kind=kind, started_at=at, peak=peak, evidence_token=token, evidence=evidence
    )
    payload = episode_payload(episode)
    _episode_event(_exam_of(session_id), "opened", payload, decided_at)
    return payload


@transaction.atomic
def close_episode(
    session_id: int, kind: str, at: datetime, peak: float | None, decided_at: float
) -> EpisodePayload | None:
    episode = Episode.objects.filter(session_id=session_id, kind=kind, ended_at__isnull=True).order_by("-id").first()
    if episode is None:
        return None
    episode.ended_at = max(at, episode.started_at)
    episode.peak = peak
    episode.save(update_fields=["ended_at", "peak"])
    payload = episode_payload(episode)
    _episode_event(_exam_of(session_id), "closed", payload, decided_at)
    return payload


def _exam_of(session_id: int) -> int:
    return ExamSession.objects.values_list("exam_id", flat=True).get(pk=session_id)
