"""A fortnight of school life with known totals (9–22 November 2026), for the report tests.

Who did what (Europe/Moscow days):

* logins: student 3, parent 2, teacher 4, curator 1; student2 once on 5 November (outside);
* lessons of 9А «Алгебра» on 10, 17 and 24 November, 09:00–09:45, all ended by the teacher: student there
  all 45 minutes each time (30 of them with media on the 10th), student2 10 minutes late on the 10th
  (35 minutes) and absent on the 17th (illness) and the 24th (no reason); the teacher at both lessons;
  Новикова in 9А since August and never anywhere (the inactive one);
* chat: student 5 messages, parent 2, curator 1 (plus one deleted message of student2, not counted);
* exams: student took one on the 12th, the teacher gave its verdict on the 13th;
* parents' questions to the curator: two asked, one answered in time, one answered after its deadline.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from chat.models import Message, Room
from chat.sla.models import Question
from lessons.models import Lesson, LessonRun, MediaInterval, Participant, Presence
from proctor.models import Exam, ExamSession
from reports.models import AbsenceReason
from server.accounts.models import AuditEvent, Role, User, UserRole
from server.school.models import Enrolment, StudyGroup

MSK = ZoneInfo("Europe/Moscow")
DAY = "2026-11-18"  # any day of the fortnight's second week


def at(day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MSK)


def seed(school: dict) -> dict:
    group = StudyGroup.objects.get(name="9А")
    novikova = User.objects.create(username="novikova", last_name="Новикова", first_name="Ольга")
    UserRole.objects.create(user=novikova, role=Role.STUDENT)
    group.students.add(novikova)
    Enrolment.objects.filter(group=group).update(added_at=dt.datetime(2026, 8, 25, tzinfo=MSK))
    AuditEvent.objects.filter(kind="auth.login").delete()

    for username, days in (
        ("student", (9, 12, 22)),
        ("parent", (10, 20)),
        ("teacher", (10, 11, 17, 18)),
        ("curator", (16,)),
    ):
        for day in days:
            event = AuditEvent.objects.create(kind="auth.login", subject=school[username], username=username)
            AuditEvent.objects.filter(pk=event.pk).update(at=at(day, 8))
    outside = AuditEvent.objects.create(kind="auth.login", subject=school["student2"], username="student2")
    AuditEvent.objects.filter(pk=outside.pk).update(at=at(5, 8))

    lesson = Lesson.objects.create(
        title="Алгебра", group=group, teacher=school["teacher"], starts_at=at(10, 9), repeat_weekly=True
    )
    runs = {}
    for day in (10, 17, 24):
        run = LessonRun.objects.create(lesson=lesson, starts_at=at(day, 9), ended_at=at(day, 9, 45))
        runs[day] = run
        attend(run, school["teacher"], at(day, 8, 55), at(day, 9, 45), role="teacher")
        presence = attend(run, school["student"], at(day, 8, 58), at(day, 9, 50))
        if day == 10:
            MediaInterval.objects.create(presence=presence, up_at=at(day, 9, 0), down_at=at(day, 9, 30))
    attend(runs[10], school["student2"], at(10, 9, 10), at(10, 9, 45))
    AbsenceReason.objects.create(run=runs[17], student=school["student2"], reason="illness", set_by=school["curator"])

    room = Room.objects.create(kind=Room.Kind.GROUP, key=f"fortnight-{group.pk}", title=group.name, group=group)
    written = [("student", d) for d in (9, 10, 11, 16, 21)] + [("parent", 12), ("parent", 19), ("curator", 13)]
    for seq, (username, day) in enumerate(written, start=1):
        message = Message.objects.create(room=room, seq=seq, author=school[username], client_id=f"c{seq}", text="…")
        Message.objects.filter(pk=message.pk).update(created_at=at(day))
    deleted = Message.objects.create(
        room=room, seq=len(written) + 1, author=school["student2"], client_id="gone", text="…", deleted_at=at(14)
    )
    Message.objects.filter(pk=deleted.pk).update(created_at=at(14))

    exam = Exam.objects.create(title="Контрольная", group=group, opens_at=at(12, 9), closes_at=at(12, 18))
    ExamSession.objects.create(
        exam=exam,
        student=school["student"],
        state="ended",
        started_at=at(12, 10),
        ended_at=at(12, 11),
        verdict="clean",
        verdict_by=school["teacher"],
        verdict_at=at(13, 10),
    )

    first = Message.objects.filter(room=room, author=school["parent"]).order_by("seq")
    for message, asked, answered in ((first[0], 12, 13), (first[1], 19, 23)):
        Question.objects.create(
            room=room,
            message=message,
            parent=school["parent"],
            curator=school["curator"],
            asked_at=at(asked),
            due_at=at(asked) + dt.timedelta(days=3),
            answered_at=at(answered),
        )
    return {"group": group, "runs": runs, "novikova": novikova}


def attend(run: LessonRun, user: User, joined: dt.datetime, left: dt.datetime, role: str = "student") -> Presence:
    participant = Participant.objects.create(run=run, user=user, role=role)
    return Presence.objects.create(participant=participant, joined_at=joined, left_at=left)
