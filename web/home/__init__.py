"""The home page answers "what now?" for each role the user holds (issue 15).

* student — the lesson running now or next (join), exams open now or soon (start), reviewed exams;
* parent — per child: next lessons, attendance this week, exam results after review; their questions
  to curators with the answer status;
* teacher — today's lessons (start), attendance sheets of lessons just held, sittings to review;
* curator — parents' questions overdue or due soon, their groups' attendance this week, logins not used yet;
* proctor — sittings now and next with students online and violations not yet reviewed;
* director / administrator — the school at a glance, with links to the reports.

Everyone also sees their chats with unread messages. Every list is read through the same permission
rules as the pages it links to (a parent's lists are built from their own children only), with a fixed
number of queries whatever the amount of data (tests/web/test_home.py counts them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lessons.models import LessonRun
from server.accounts.models import Role, User
from server.school import access

from . import chats, exams, lessons, school
from .attendance import children_week
from .items import Item, Section

RECENT_RUNS = dt.timedelta(days=7)


@dataclass(frozen=True)
class Child:
    """One child on a parent's home: their next lessons, this week's attendance, reviewed exams."""

    child: User
    lessons: list[Item]
    attended: int
    held: int
    results: list[Item]


def sections_for(user: User, now: dt.datetime | None = None) -> list[Section]:
    now = now or timezone.now()
    found: list[Section] = []
    if user.has_role(Role.ADMIN, Role.DIRECTOR):
        found.append(glance_section(now))
    if user.has_role(Role.STUDENT):
        found += student_sections(user, now)
    if user.has_role(Role.TEACHER):
        found += teacher_sections(user, now)
    if user.has_role(Role.CURATOR):
        found += curator_sections(user, now)
    if user.has_role(Role.PROCTOR):
        found.append(
            Section("sittings", _("Экзамены сейчас и скоро"), exams.sittings(user, now), _("Ближайших экзаменов нет."))
        )
    if user.has_role(Role.PARENT):
        questions = chats.parent_questions(user, now)
        found.append(Section("my-questions", _("Мои вопросы кураторам"), questions, _("Вопросов пока не было.")))
    found.append(Section("unread", _("Непрочитанные чаты"), chats.unread_rooms(user), _("Все сообщения прочитаны.")))
    return found


def student_sections(student: User, now: dt.datetime) -> list[Section]:
    return [
        Section(
            "lessons", _("Уроки: сейчас и дальше"), lessons.student_lessons(student, now), _("Уроков на неделе нет.")
        ),
        Section("exams", _("Экзамены"), exams.exams_to_take(student, now), _("Открытых экзаменов нет.")),
        Section("reviewed", _("Проверенные экзамены"), exams.reviewed_exams(student)),
    ]


def teacher_sections(teacher: User, now: dt.datetime) -> list[Section]:
    day_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    runs = (
        LessonRun.objects.filter(lesson__teacher=teacher, ended_at__gte=now - RECENT_RUNS)
        .select_related("lesson__group")
        .order_by("-starts_at")[:10]
    )
    sheets = [
        Item(
            f"{run.lesson.title}, {run.lesson.group}",
            timezone.localtime(run.starts_at).strftime("%d.%m %H:%M"),
            reverse("lessons:attendance", args=[run.pk]),
            _("Посещаемость"),
        )
        for run in runs
    ]
    return [
        Section(
            "today", _("Мои уроки сегодня"), lessons.teacher_lessons(teacher, now, day_end), _("Сегодня уроков нет.")
        ),
        Section("sheets", _("Посещаемость проведённых уроков"), sheets),
        Section("to-review", _("Экзамены к проверке"), exams.sessions_to_review(teacher), _("Проверять нечего.")),
    ]


def curator_sections(curator: User, now: dt.datetime) -> list[Section]:
    groups = list(access.staff_groups(curator).filter(curators=curator).order_by("name"))
    return [
        Section(
            "questions",
            _("Вопросы родителей: срок ответа"),
            chats.curator_questions(curator, now),
            _("Все вопросы родителей отвечены в срок."),
            reverse("chat:answers"),
            _("Все вопросы и отчёт"),
        ),
        Section("attendance", _("Посещаемость групп на этой неделе"), school.group_attendance(groups, now)),
        Section("logins", _("Новые логины"), school.logins_to_print(curator, groups)),
    ]


def glance_section(now: dt.datetime) -> Section:
    reports = school.optional_url("reports:index")
    return Section(
        "glance",
        _("Школа сегодня"),
        figures=school.glance(now),
        more_url=reports,
        more_label=_("Отчёты") if reports else "",
    )


def children_of(parent: User, now: dt.datetime) -> list[Child]:
    kids = list(access.children_of(parent).order_by("last_name", "first_name"))
    next_lessons = lessons.children_lessons(kids, now)
    weeks = children_week(kids, now)
    results = exams.children_results(kids)
    return [Child(kid, next_lessons[kid.pk], *weeks[kid.pk], results[kid.pk]) for kid in kids]
