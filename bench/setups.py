"""The benchmarks' classes, built in their fresh live database: ``live.call(setups.exam_class, ...)``.

Each function runs inside a process of the live environment (``LiveEnvironment.call`` in tests/support/servers.py),
where Django is set up on the database the benchmark's daphne serves; arguments and results are JSON. Each
imports what it needs when it runs, because the benchmark scripts import this module without setting Django up.
"""

from __future__ import annotations

from typing import Any


def session_cookie(user: Any) -> str:
    """A logged-in session for ``user`` made directly in the session store (no password hashing: fast for many)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def exam_class(count: int, clips: list[tuple[str, str]], policy: dict) -> dict:
    """An exam of 9А watched by the demo proctor and ``count`` new students enrolled with the clips' reference photos
    in turn, each session already running with identity verified.

    Returns the exam's id, the proctor's session cookie and per student its session, cookie and clip.
    """
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    from proctor import actions, enrollment
    from proctor.models import Exam
    from server.accounts.models import Role, User, UserRole
    from server.school.models import StudyGroup

    now = timezone.now()
    group = StudyGroup.objects.get(name="9А")
    exam = Exam.objects.create(
        title="Нагрузка",
        group=group,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=6),
        duration_minutes=300,
        policy=policy,
    )
    proctor = User.objects.get(username="proctor")
    exam.proctors.add(proctor)
    students = []
    for number in range(count):
        clip, reference = clips[number % len(clips)]
        user = User.objects.create(username=f"bench{number:03d}", first_name=f"Ученик {number}")
        UserRole.objects.create(user=user, role=Role.STUDENT)
        group.students.add(user)
        enrollment.record_consent(user)
        if enrollment.enroll(user, Path(reference)).photo is None:
            raise ValueError(f"the quality gate refused the reference photo {reference}")
        session = actions.open_session(exam, user)
        actions.identity_result(session.pk, passed=True, score=None)
        students.append({"session": session.pk, "cookie": session_cookie(user), "clip": clip})
    return {"exam": exam.pk, "proctor": session_cookie(proctor), "students": students}


def lesson_class(count: int) -> int:
    """Students bench01..bench<count> in 9А (password ``bench-pass``) and a 2-hour lesson started a minute ago;
    the lesson's id."""
    from datetime import timedelta

    from django.utils import timezone

    from lessons.models import Lesson
    from server.accounts.models import User, UserRole
    from server.school.models import StudyGroup

    group = StudyGroup.objects.get(name="9А")
    for number in range(1, count + 1):
        user, _ = User.objects.get_or_create(username=f"bench{number:02d}", defaults={"last_name": f"Ученик {number}"})
        user.set_password("bench-pass")
        user.save()
        UserRole.objects.get_or_create(user=user, role="student")
        group.students.add(user)
    lesson = Lesson.objects.create(
        title="Нагрузка",
        group=group,
        teacher=User.objects.get(username="teacher"),
        starts_at=timezone.now() - timedelta(minutes=1),
        duration_minutes=120,
    )
    return lesson.pk


def chat_rooms(big: int, small_count: int, small_size: int) -> dict:
    """One lesson room of ``big`` members and ``small_count`` rooms of ``small_size``, each moderated by
    bench-sender; returns the rooms' ids ({"big": id, "small": [ids]}) and every user's cookie header by login."""
    from chat.rooms import ensure_room
    from server.accounts.models import User

    names = (
        [f"bench-big-{i}" for i in range(big)]
        + [f"bench-small-{r}-{i}" for r in range(small_count) for i in range(small_size)]
        + ["bench-sender"]
    )
    new_users = []
    for name in names:
        user = User(username=name)
        user.set_unusable_password()
        new_users.append(user)
    User.objects.bulk_create(new_users)
    users = {user.username: user for user in User.objects.filter(username__in=names)}
    sender = users["bench-sender"]

    def members(prefix: str, size: int) -> list[Any]:
        return [users[f"{prefix}{i}"] for i in range(size)]

    rooms: dict[str, Any] = {
        "big": ensure_room("lesson", "bench-big", "bench big", members("bench-big-", big), [sender]).pk
    }
    rooms["small"] = [
        ensure_room("lesson", f"bench-small-{r}", "bench small", members(f"bench-small-{r}-", small_size), [sender]).pk
        for r in range(small_count)
    ]
    cookies = {name: "sessionid=" + session_cookie(user) for name, user in users.items()}
    return {"rooms": rooms, "cookies": cookies}


def lesson_with_participants(students: int) -> dict:
    """A 2-hour lesson of 9А that started a minute ago, taught by the demo teacher, and ``students`` new students
    (lesson-NN) in 9А; returns its id and the cookie headers of the teacher and the students."""
    from datetime import timedelta

    from django.utils import timezone

    from lessons.models import Lesson
    from server.accounts.models import Role, User, UserRole
    from server.school.models import StudyGroup

    group = StudyGroup.objects.get(name="9А")
    teacher = User.objects.get(username="teacher")
    participants = [teacher]
    for number in range(students):
        user, _ = User.objects.get_or_create(
            username=f"lesson-{number:02d}", defaults={"last_name": f"Ученик {number}"}
        )
        UserRole.objects.get_or_create(user=user, role=Role.STUDENT)
        group.students.add(user)
        participants.append(user)
    lesson = Lesson.objects.create(
        title="Под нагрузкой",
        group=group,
        teacher=teacher,
        starts_at=timezone.now() - timedelta(minutes=1),
        duration_minutes=120,
    )
    return {"lesson": lesson.pk, "cookies": ["sessionid=" + session_cookie(user) for user in participants]}


def exam_episodes(exam: int) -> list[list]:
    """The exam's episodes as ``[id, session, kind, started_at, ended_at or None]`` (ISO times), oldest first."""
    from proctor.models import Episode

    rows = Episode.objects.filter(session__exam_id=exam).order_by("pk")
    return [
        [e.pk, e.session_id, e.kind, e.started_at.isoformat(), e.ended_at.isoformat() if e.ended_at else None]
        for e in rows
    ]


def media_placements(exam: int) -> dict[str, int]:
    """How many of the exam's sessions each media worker holds, by worker name."""
    from collections import Counter

    from proctor.models import ExamSession

    names = ExamSession.objects.filter(exam_id=exam, media_worker__isnull=False).values_list(
        "media_worker__name", flat=True
    )
    return dict(Counter(names))
