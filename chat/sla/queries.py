"""What is due, and how quickly each curator answers (curators see their own, admin and director all)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from server.accounts.models import Role, User

from .models import Question


def may_see_all(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.DIRECTOR)


def may_use(user: User) -> bool:
    return user.is_authenticated and (may_see_all(user) or user.has_role(Role.CURATOR))


def visible_questions(user: User) -> QuerySet[Question]:
    questions = Question.objects.select_related("room", "message", "parent", "curator")
    if may_see_all(user):
        return questions
    if user.has_role(Role.CURATOR):
        return questions.filter(curator=user)
    return questions.none()


def due_soon_window() -> timedelta:
    return timedelta(hours=settings.CHAT_ANSWER_DUE_SOON_HOURS)


def overdue(user: User, now: datetime) -> QuerySet[Question]:
    return visible_questions(user).filter(answered_at__isnull=True, due_at__lt=now).order_by("due_at")


def due_soon(user: User, now: datetime) -> QuerySet[Question]:
    return (
        visible_questions(user)
        .filter(answered_at__isnull=True, due_at__gte=now, due_at__lt=now + due_soon_window())
        .order_by("due_at")
    )


@dataclass(frozen=True)
class CuratorFigures:
    curator: User
    questions: int
    answered_in_time: int
    overdue: int  # answered late, or still unanswered after the deadline
    waiting: int  # unanswered, deadline not reached yet
    median_answer_hours: float | None


def report(user: User, since: datetime, until: datetime, now: datetime) -> list[CuratorFigures]:
    """Per curator, the questions asked in ``[since, until)``."""
    rows: dict[int, list[Question]] = {}
    curators: dict[int, User] = {}
    for question in visible_questions(user).filter(asked_at__gte=since, asked_at__lt=until):
        rows.setdefault(question.curator_id, []).append(question)
        curators[question.curator_id] = question.curator
    figures = [_figures(curators[pk], questions, now) for pk, questions in rows.items()]
    return sorted(figures, key=lambda f: (str(f.curator), f.curator.pk))


def _figures(curator: User, questions: list[Question], now: datetime) -> CuratorFigures:
    answered = [(q, q.answered_at) for q in questions if q.answered_at is not None]
    in_time = sum(1 for q, answered_at in answered if answered_at <= q.due_at)
    open_overdue = sum(1 for q in questions if q.answered_at is None and q.due_at < now)
    waiting = sum(1 for q in questions if q.answered_at is None and q.due_at >= now)
    hours = [(answered_at - q.asked_at).total_seconds() / 3600 for q, answered_at in answered]
    return CuratorFigures(
        curator=curator,
        questions=len(questions),
        answered_in_time=in_time,
        overdue=len(answered) - in_time + open_overdue,
        waiting=waiting,
        median_answer_hours=round(statistics.median(hours), 1) if hours else None,
    )
