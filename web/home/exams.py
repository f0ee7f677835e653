"""Exams on the home page: a student's open or coming exams and reviewed ones, children's results, what a
teacher has to review, a proctor's sittings with students online and violations waiting. Each list is one
query (counts are annotations), read through :mod:`proctor.exam_access`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from proctor.exam_access import staff_exams, student_exams
from proctor.models import Episode, Exam, ExamSession
from server.accounts.models import User

from .items import Item

LOOK_AHEAD = dt.timedelta(days=7)
PROCTOR_LOOK_AHEAD = dt.timedelta(hours=24)
SHOWN = 10
ONLINE_STATES = (ExamSession.State.WAITING_CHECK, ExamSession.State.IDENTITY_PENDING, ExamSession.State.RUNNING)


def _when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "d.m H:i")


def exams_to_take(student: User, now: dt.datetime) -> list[Item]:
    """Exams open now (with «Начать экзамен») or opening within a week, not yet finished by the student."""
    exams = student_exams(student).filter(closes_at__gt=now, opens_at__lt=now + LOOK_AHEAD)
    finished = ExamSession.objects.filter(student=student, state=ExamSession.State.ENDED).values("exam_id")
    items = []
    for exam in exams.exclude(pk__in=finished).order_by("opens_at")[:SHOWN]:
        if exam.is_open(now):
            url = reverse("proctor:take_exam", args=[exam.pk])
            detail = _("открыт до %(time)s") % {"time": _when(exam.closes_at)}
            items.append(Item(exam.title, detail, url, _("Начать экзамен"), urgent=True))
        else:
            items.append(Item(exam.title, _("откроется %(time)s") % {"time": _when(exam.opens_at)}))
    return items


def _reviewed(sessions: QuerySet[ExamSession]) -> QuerySet[ExamSession]:
    commented = Q(episodes__comment__gt="")
    return (
        sessions.exclude(verdict="")
        .select_related("exam", "student")
        .annotate(comments=Count("episodes", filter=commented))
        .order_by("-verdict_at")
    )


def reviewed_exams(student: User) -> list[Item]:
    """The student's reviewed exams: the decision and the proctor's comments, on the session's page."""
    items = []
    for session in _reviewed(ExamSession.objects.filter(student=student))[:SHOWN]:
        detail = session.get_verdict_display()
        comments: int = getattr(session, "comments", 0)  # the annotation of _reviewed
        if comments:
            detail = f"{detail} · " + _("комментариев: %(count)s") % {"count": comments}
        items.append(Item(session.exam.title, detail, reverse("proctor:session_detail", args=[session.pk])))
    return items


def children_results(children: list[User]) -> dict[int, list[Item]]:
    """Each child's reviewed exams (child id → items): the decision only, the details are the child's."""
    result: dict[int, list[Item]] = {child.pk: [] for child in children}
    for session in _reviewed(ExamSession.objects.filter(student__in=children))[: SHOWN * max(1, len(children))]:
        result[session.student_id].append(Item(session.exam.title, session.get_verdict_display()))
    return result


def sessions_to_review(teacher: User) -> list[Item]:
    """Finished sittings of the teacher's groups' exams without a decision yet."""
    waiting = (
        ExamSession.objects.filter(exam__in=staff_exams(teacher), state=ExamSession.State.ENDED, verdict="")
        .select_related("exam", "student")
        .annotate(episodes_waiting=Count("episodes", filter=Q(episodes__review=Episode.Review.PENDING)))
        .order_by("ended_at")
    )
    items = []
    for session in waiting[:SHOWN]:
        detail = _("нарушений к проверке: %(count)s") % {"count": session.episodes_waiting}
        url = reverse("proctor:session_detail", args=[session.pk])
        items.append(Item(f"{session.exam.title}: {session.student}", detail, url, _("Проверить")))
    return items


def sittings(proctor: User, now: dt.datetime) -> list[Item]:
    """Exams the proctor supervises, open now or within a day, with students online and violations waiting."""
    exams = (
        staff_exams(proctor)
        .filter(proctors=proctor, closes_at__gt=now, opens_at__lt=now + PROCTOR_LOOK_AHEAD)
        .select_related("group")
        .annotate(
            online=Count("sessions", filter=Q(sessions__state__in=ONLINE_STATES), distinct=True),
            violations=Count(
                "sessions__episodes", filter=Q(sessions__episodes__review=Episode.Review.PENDING), distinct=True
            ),
        )
        .order_by("opens_at")
    )
    items = []
    for exam in exams[:SHOWN]:
        figures = _("учеников в сети: %(online)s · нарушений не рассмотрено: %(violations)s") % {
            "online": exam.online,
            "violations": exam.violations,
        }
        if exam.is_open(now):
            detail = f"{exam.group} · " + _("идёт до %(time)s") % {"time": _when(exam.closes_at)} + f" · {figures}"
        else:
            detail = f"{exam.group} · " + _("начало %(time)s") % {"time": _when(exam.opens_at)}
        url = reverse("proctor:dashboard", args=[exam.pk])
        urgent = exam.is_open(now) and exam.violations > 0
        items.append(Item(exam.title, detail, url, _("Открыть пульт"), urgent=urgent))
    return items


def open_exams_count(now: dt.datetime) -> int:
    return Exam.objects.filter(opens_at__lte=now, closes_at__gt=now).count()
