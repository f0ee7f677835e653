"""Set-ups and look-ups that integration tests run in the live database: ``live_env.call(setups.lesson_now)``.

Each function runs inside a process of the live environment (``LiveEnvironment.call``), where Django is set up
on the database the live daphne serves; arguments and results are JSON. Each imports what it needs when it
runs, because the test process only names the function and this module must import without Django.
Users are the demo school's, by login.
"""

from __future__ import annotations

from typing import Any

DEMO_GROUP = "9А"


# ----- people ---------------------------------------------------------------------------------------------
def add_user(username: str, role: str, group: str | None = None) -> None:
    """A demo-style user with ``role`` (password ``<username>-demo``), a student of ``group`` if given."""
    from server.accounts.models import User, UserRole
    from server.school.models import StudyGroup

    user, _ = User.objects.get_or_create(username=username)
    user.set_password(f"{username}-demo")
    user.save()
    UserRole.objects.get_or_create(user=user, role=role)
    if group is not None:
        StudyGroup.objects.get(name=group).students.add(user)


def user_ids() -> dict[str, int]:
    """Every user's id by login."""
    from server.accounts.models import User

    return dict(User.objects.values_list("username", "pk"))


def notification(username: str, kind: str, text: str) -> int:
    """A new notification for the user; its id."""
    from server.accounts.models import User
    from server.notifications.models import Notification

    return Notification.objects.create(user=User.objects.get(username=username), kind=kind, text=text).pk


def audit_trail(username: str) -> list[list[str]]:
    """The user's security audit events, oldest first: [kind, address]."""
    from server.accounts.models import AuditEvent

    return [[e.kind, e.ip_address] for e in AuditEvent.objects.filter(username=username).order_by("pk")]


def parent_consents(student: str) -> None:
    """The student's linked parent gives the biometric consent."""
    from proctor import enrollment
    from server.accounts.models import User

    child = User.objects.get(username=student)
    enrollment.record_consent(child, given_by=User.objects.get(child_links__child=child))


def adult_consents(username: str) -> None:
    """The student is an adult (born 2000) and gives the biometric consent themselves."""
    from datetime import date

    from proctor import enrollment
    from server.accounts.models import User

    User.objects.filter(username=username).update(birth_date=date(2000, 1, 1))
    student = User.objects.get(username=username)
    enrollment.record_consent(student, given_by=student)


def set_birth_date(username: str, born: str) -> None:
    """The school enters the user's birth date (ISO ``YYYY-MM-DD``; ``""``: unknown)."""
    from datetime import date

    from server.accounts.models import User

    User.objects.filter(username=username).update(birth_date=date.fromisoformat(born) if born else None)


def consent_audit(username: str) -> list[list[object]]:
    """The student's consent audit events, oldest first: [kind, actor's username, given_by's username]."""
    from server.accounts.models import AuditEvent, User

    names = dict(User.objects.values_list("pk", "username"))
    events = AuditEvent.objects.filter(
        subject__username=username, kind__startswith="proctor.biometric_consent"
    ).order_by("pk")
    return [[e.kind, e.actor.username if e.actor else None, names.get(e.details.get("given_by"))] for e in events]


def reference_capture_audit(username: str) -> list[list[object]]:
    """The student's reference-photo and identity-attempt audit events, oldest first: [kind, details]."""
    from server.accounts.models import AuditEvent

    kinds = (
        "proctor.reference_photo",
        "proctor.identity_attempt",
        "proctor.identity_attempt_returned",
        "proctor.reference_confirmed",
    )
    events = AuditEvent.objects.filter(subject__username=username, kind__in=kinds).order_by("pk")
    return [[e.kind, e.details] for e in events]


def clear_audit(username: str) -> None:
    """Forget the user's audit events (the live school is shared by the session's tests)."""
    from server.accounts.models import AuditEvent

    AuditEvent.objects.filter(subject__username=username).delete()


def take_consent_address(username: str) -> str:
    """The address recorded with the student's newest biometric consent; the consents are then deleted."""
    from proctor.models import BiometricConsent

    consents = BiometricConsent.objects.filter(student__username=username)
    address = consents.order_by("-pk").first().ip
    consents.delete()
    return address


# ----- chat -----------------------------------------------------------------------------------------------
def chat_room(kind: str, key: str, title: str, members: list[str], moderators: list[str]) -> int:
    """A lesson or exam room (``key`` unique) with these members and moderators; its id."""
    from chat.rooms import ensure_room
    from server.accounts.models import User

    def users(names: list[str]) -> list[Any]:
        return list(User.objects.filter(username__in=names))

    return ensure_room(kind, key, title, users(members), users(moderators)).pk


def group_chats() -> dict[str, int]:
    """The school's group and parents' chats: {"group:9А": id, "parents:9А": id, ...}."""
    from chat.models import Room

    rooms = Room.objects.filter(kind__in=["group", "parents"]).select_related("group")
    return {f"{room.kind}:{room.group.name}": room.pk for room in rooms}


def direct_chat(first: str, second: str) -> int:
    """The private chat of two users (opened if new); its id."""
    from chat.rooms import open_direct
    from server.accounts.models import User

    return open_direct(User.objects.get(username=first), User.objects.get(username=second)).pk


def post_messages(author: str, room: int, texts: list[str]) -> None:
    """``author`` posts ``texts`` to the room in order (client ids c1, c2, ...)."""
    from chat.actions import post_message
    from server.accounts.models import User

    user = User.objects.get(username=author)
    for number, text in enumerate(texts, start=1):
        post_message(user, room, f"c{number}", text)


def unmute_everyone() -> None:
    """Lift every mute (the live school is shared by the session's tests)."""
    from chat.models import Membership

    Membership.objects.update(muted_until=None)


# ----- exams ----------------------------------------------------------------------------------------------
def open_exam(title: str, minutes: int, policy: dict, student: str, reference: str, consent: bool) -> int:
    """An open exam for 9А with the demo proctor assigned; the student's consent and photos are reset; its id.

    With ``consent`` the student's parent (the demo students are minors) consented; with ``reference`` (a
    photo's path) the school has also uploaded that photo; without it the student takes the photo from the
    camera on the exam page.
    """
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    from proctor import enrollment
    from proctor.models import BiometricConsent, Exam, ReferencePhoto
    from server.accounts.models import User
    from server.school.models import StudyGroup

    now = timezone.now()
    exam = Exam.objects.create(
        title=title,
        group=StudyGroup.objects.get(name=DEMO_GROUP),
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=2),
        duration_minutes=minutes,
        policy=policy,
        materials="Задание 1. Решите уравнение x + 2 = 5.",
        created_by=User.objects.get(username="teacher"),
    )
    exam.proctors.add(User.objects.get(username="proctor"))
    taker = User.objects.get(username=student)
    BiometricConsent.objects.filter(student=taker).delete()
    for photo in ReferencePhoto.objects.filter(student=taker):
        photo.delete()
    if consent or reference:
        enrollment.record_consent(taker, given_by=User.objects.filter(child_links__child=taker).first() or taker)
    if reference and enrollment.enroll(taker, Path(reference)).photo is None:
        raise ValueError(f"the quality gate refused the reference photo {reference}")
    return exam.pk


def admitted_session_closing_in(session: int, seconds: float) -> None:
    """The student was admitted and the session runs; the exam's window closes in ``seconds``."""
    from datetime import timedelta

    from django.utils import timezone

    from proctor import actions
    from proctor.models import ExamSession
    from server.accounts.models import User

    running = ExamSession.objects.select_related("exam").get(pk=session)
    running.exam.closes_at = timezone.now() + timedelta(seconds=seconds)
    running.exam.save()
    actions.admit(session, User.objects.get(username="proctor"))


def unassign_proctors(exam: int) -> None:
    """Take every proctor off the exam."""
    from proctor.models import Exam

    Exam.objects.get(pk=exam).proctors.clear()


def manual_admit_audit(session: int) -> list[str]:
    """[actor, subject] logins of the audit event recording the proctor's manual admission to the session."""
    from server.accounts.models import AuditEvent

    event = AuditEvent.objects.filter(kind="proctor.manual_admit", details__session=session).get()
    return [event.actor.username, event.subject.username]


def reviewable_session() -> int:
    """A closed exam of 9А with one unreviewed episode, watched by the demo proctor; the session's id."""
    from datetime import timedelta

    from django.utils import timezone

    from proctor.models import Episode, Exam, ExamSession
    from server.accounts.models import User
    from server.school.models import StudyGroup

    now = timezone.now()
    exam = Exam.objects.create(
        title="i18n",
        group=StudyGroup.objects.get(name=DEMO_GROUP),
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(hours=1),
    )
    exam.proctors.add(User.objects.get(username="proctor"))
    session = ExamSession.objects.create(exam=exam, student=User.objects.get(username="student"))
    Episode.objects.create(session=session, kind="looking_away", started_at=now - timedelta(hours=1))
    return session.pk


# ----- lessons --------------------------------------------------------------------------------------------
def lesson_now(group: str = DEMO_GROUP, teacher: str = "teacher", started_minutes_ago: int = 1) -> int:
    """A 60-minute lesson of ``group`` that started ``started_minutes_ago`` (its join window open); its id."""
    from datetime import timedelta

    from django.utils import timezone

    from lessons.models import Lesson
    from server.accounts.models import User
    from server.school.models import StudyGroup

    lesson = Lesson.objects.create(
        title="Тест",
        group=StudyGroup.objects.get(name=group),
        teacher=User.objects.get(username=teacher),
        starts_at=timezone.now() - timedelta(minutes=started_minutes_ago),
        duration_minutes=60,
    )
    return lesson.pk


def janus_room(lesson: int) -> int:
    """The Janus VideoRoom of the lesson's run."""
    from lessons.models import LessonRun

    return LessonRun.objects.get(lesson=lesson).janus_room


def janus_instance(lesson: int) -> str:
    """The Janus instance (API URL) holding the room of the lesson's run now."""
    from lessons.models import LessonRun

    return LessonRun.objects.get(lesson=lesson).janus_instance


def attendance(lesson: int) -> dict[str, dict]:
    """The attendance sheet as the server computes it, by student login, with how many intervals are still open."""
    from lessons.attendance import sheet
    from lessons.models import LessonRun, Presence

    run = LessonRun.objects.get(lesson=lesson)
    return {
        row.student.username: {
            "seconds": row.seconds_present,
            "status": row.status,
            "removed": row.removed,
            "media": row.media_connected,
            "media_seconds": row.seconds_with_media,
            "open_intervals": Presence.objects.filter(
                participant__run=run, participant__user=row.student, left_at__isnull=True
            ).count(),
        }
        for row in sheet(run)
    }


def held_lessons(group: str, teacher: str, days: list[str], present: dict[str, list[int]]) -> int:
    """A lesson of ``group`` held (and ended) at 09:00 on each of ``days`` (ISO dates), with ``present``
    ``{login: [indexes of days]}`` there all 45 minutes; the group's students counted from the start. Its id."""
    import datetime as dt

    from django.utils import timezone

    from lessons.models import Lesson, LessonRun, Participant, Presence
    from server.accounts.models import User
    from server.school.models import Enrolment, StudyGroup

    the_group = StudyGroup.objects.get(name=group)
    Enrolment.objects.filter(group=the_group).update(added_at=timezone.make_aware(dt.datetime(2000, 1, 1)))
    starts = [timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=9)) for day in days]
    lesson = Lesson.objects.create(
        title="Алгебра", group=the_group, teacher=User.objects.get(username=teacher), starts_at=starts[0]
    )
    for index, start in enumerate(starts):
        run = LessonRun.objects.create(lesson=lesson, starts_at=start, ended_at=start + lesson.duration)
        for login, indexes in present.items():
            if index in indexes:
                participant = Participant.objects.create(run=run, user=User.objects.get(username=login), role="student")
                Presence.objects.create(participant=participant, joined_at=start, left_at=start + lesson.duration)
    return the_group.pk


def session_in_state(exam: int, student: str, state: str, identity: str, lms_url: str) -> None:
    """The student's session of the exam is in ``state`` with ``identity`` (started if running or paused, no
    tasks released yet); the exam links its test in an LMS at ``lms_url``."""
    from django.utils import timezone

    from proctor.models import Exam, ExamSession

    Exam.objects.filter(pk=exam).update(lms_url=lms_url)
    started = timezone.now() if state in ("running", "paused") else None
    ExamSession.objects.filter(exam_id=exam, student__username=student).update(
        state=state, identity=identity, started_at=started, released_at=None
    )


# ----- rights changes (server.ws.rights) ----------------------------------------------------------------------
def group_with(name: str, students: list[str], parents: dict[str, str]) -> dict[str, int]:
    """A study group of these students (each parent ``{parent: child}`` linked); its chats' ids by kind."""
    from chat.models import Room
    from server.accounts.models import User
    from server.school.models import ParentLink, StudyGroup

    group = StudyGroup.objects.create(name=name)
    group.students.set(User.objects.filter(username__in=students))
    for parent, child in parents.items():
        ParentLink.objects.create(parent=User.objects.get(username=parent), child=User.objects.get(username=child))
    from chat.rooms import sync_group_rooms

    sync_group_rooms(group)
    return {room.kind: room.pk for room in Room.objects.filter(group=group)}


def remove_from_group(username: str, group: str) -> None:
    from server.accounts.models import User
    from server.school.models import StudyGroup

    StudyGroup.objects.get(name=group).students.remove(User.objects.get(username=username))


def unlink_parent(parent: str, child: str) -> None:
    from server.school.models import ParentLink

    ParentLink.objects.get(parent__username=parent, child__username=child).delete()


def remove_role(username: str, role: str) -> None:
    from server.accounts.models import UserRole

    UserRole.objects.get(user__username=username, role=role).delete()


def deactivate(username: str) -> None:
    from server.accounts.models import User

    user = User.objects.get(username=username)
    user.is_active = False
    user.save()


def require_password_change(username: str) -> None:
    from server.accounts.models import User

    user = User.objects.get(username=username)
    user.must_change_password = True
    user.save()


def exam_proctored_by(title: str, proctor: str) -> int:
    """An open exam of 9А with ``proctor`` assigned; its id."""
    from datetime import timedelta

    from django.utils import timezone

    from proctor.models import Exam
    from server.accounts.models import User
    from server.school.models import StudyGroup

    now = timezone.now()
    exam = Exam.objects.create(
        title=title,
        group=StudyGroup.objects.get(name=DEMO_GROUP),
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=2),
    )
    exam.proctors.add(User.objects.get(username=proctor))
    return exam.pk


# ----- concurrency on PostgreSQL --------------------------------------------------------------------------------
def exam_sessions(exam: int) -> dict[str, list[int]]:
    """The exam's sessions by student login (more than one per student would be a lost race)."""
    from proctor.models import ExamSession

    found: dict[str, list[int]] = {}
    for session_id, login in ExamSession.objects.filter(exam_id=exam).values_list("pk", "student__username"):
        found.setdefault(login, []).append(session_id)
    return found


def attendance_visits(lesson: int, username: str, visits: int, start_at: float) -> list[str]:
    """From ``start_at`` (epoch seconds: processes started one by one begin together), ``visits`` times join the
    lesson as a socket does and leave again; the refusals' codes (none expected)."""
    import os
    import time

    from lessons import actions, live
    from server.accounts.models import User

    user = User.objects.get(username=username)
    time.sleep(max(0.0, start_at - time.time()))
    refusals = []
    for visit in range(visits):
        try:
            admission = actions.join(user, lesson, f"test.visit!{os.getpid()}-{visit}")
        except live.Refused as refused:
            refusals.append(refused.code)
            continue
        actions.leave(admission.run_id, admission.presence_id)
    return refusals


def lesson_participants(lesson: int) -> dict[str, int]:
    """How many participant rows each login has in the lesson's runs (one expected)."""
    from django.db.models import Count

    from lessons.models import Participant

    rows = Participant.objects.filter(run__lesson_id=lesson).values("user__username").annotate(n=Count("id"))
    return {row["user__username"]: row["n"] for row in rows}


# ----- the school day (home pages) ------------------------------------------------------------------------
def school_morning() -> dict[str, int]:
    """Something to do now for every demo role (issue 15's home pages); the ids by name.

    9А: a lesson running now (teacher), an open exam (proctor), the student's reviewed exam with a comment,
    a lesson held earlier this week that the student attended and one ended today; 10Б (another parent's
    child): a lesson running now; the parent's question to the curator, overdue; unread group-chat messages
    for the student and 10Б's student.
    """
    from datetime import timedelta

    from django.utils import timezone

    from chat import actions as chat_actions
    from chat.rooms import open_direct, sync_group_rooms
    from chat.sla.models import Question
    from lessons.models import Lesson, LessonRun, Participant, Presence
    from proctor.models import Episode, Exam, ExamSession
    from server.accounts.models import User
    from server.school.models import StudyGroup

    now = timezone.now()
    # Tests before this one on the shared server leave exams open and lessons running; a home page shows a few
    # of each, so they are moved three days back and this morning's are the school's only ones now.
    gone = now - timedelta(days=3)
    Exam.objects.filter(closes_at__gt=gone).update(opens_at=gone - timedelta(hours=1), closes_at=gone)
    Lesson.objects.filter(starts_at__gt=gone).update(starts_at=gone)
    users = {u.username: u for u in User.objects.all()}
    nine, ten = StudyGroup.objects.get(name="9А"), StudyGroup.objects.get(name="10Б")
    ids: dict[str, int] = {}
    ids["lesson_now"] = Lesson.objects.create(
        title="Алгебра", group=nine, teacher=users["teacher"], starts_at=now - timedelta(minutes=5), duration_minutes=45
    ).pk
    ids["other_lesson_now"] = Lesson.objects.create(
        title="Химия 10Б", group=ten, teacher=users["teacher2"], starts_at=now - timedelta(minutes=5)
    ).pk
    ended = Lesson.objects.create(
        title="Геометрия", group=nine, teacher=users["teacher"], starts_at=now - timedelta(minutes=20)
    )
    ids["ended_lesson"] = ended.pk
    ids["ended_run"] = LessonRun.objects.create(lesson=ended, starts_at=ended.starts_at, ended_at=now).pk
    earlier = Lesson.objects.create(
        title="История", group=nine, teacher=users["teacher"], starts_at=now - timedelta(minutes=90)
    )
    run = LessonRun.objects.create(lesson=earlier, starts_at=earlier.starts_at, ended_at=now - timedelta(minutes=45))
    attended = Participant.objects.create(run=run, user=users["student"], role=Participant.Role.STUDENT)
    Presence.objects.create(participant=attended, joined_at=earlier.starts_at, left_at=now - timedelta(minutes=50))
    exam = Exam.objects.create(
        title="Контрольная по алгебре",
        group=nine,
        opens_at=now - timedelta(minutes=10),
        closes_at=now + timedelta(hours=2),
        created_by=users["teacher"],
    )
    exam.proctors.add(users["proctor"])
    ids["exam"] = exam.pk
    past = Exam.objects.create(
        title="Диктант", group=nine, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1)
    )
    reviewed = ExamSession.objects.create(
        exam=past, student=users["student"], state=ExamSession.State.ENDED, verdict="warning", verdict_at=now
    )
    Episode.objects.create(session=reviewed, kind="looking_away", started_at=now, comment="Смотрел в сторону")
    ids["reviewed_session"] = reviewed.pk
    unreviewed = ExamSession.objects.create(exam=past, student=users["student2"], state=ExamSession.State.ENDED)
    ids["unreviewed_session"] = unreviewed.pk
    direct = open_direct(users["parent"], users["curator"])
    chat_actions.post_message(users["parent"], direct.pk, "q-1", "Когда родительское собрание?")
    Question.objects.filter(parent=users["parent"]).update(due_at=now - timedelta(hours=1))
    ids["question_room"] = direct.pk
    nine_chat = sync_group_rooms(nine)[0]
    chat_actions.post_message(users["teacher"], nine_chat.pk, "m-1", "Доброе утро, 9А!")
    ids["nine_chat"] = nine_chat.pk
    ten_chat = sync_group_rooms(ten)[0]
    chat_actions.post_message(users["teacher2"], ten_chat.pk, "m-2", "Доброе утро, 10Б!")
    ids["ten_chat"] = ten_chat.pk
    return ids


def lesson_recordings(lesson: int) -> list[dict]:
    """The lesson's recordings as stored: status, folder, length, size, conversion time, screen, error."""
    from lessons.models import Recording

    return [
        {
            "status": r.status,
            "folder": r.folder,
            "duration_seconds": r.duration_seconds,
            "size_bytes": r.size_bytes,
            "conversion_seconds": r.conversion_seconds,
            "has_screen": r.has_screen,
            "screen_offset_seconds": r.screen_offset_seconds,
            "error": r.error,
        }
        for r in Recording.objects.filter(run__lesson=lesson).order_by("started_at")
    ]
