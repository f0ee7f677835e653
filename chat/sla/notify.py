"""Tell curators about questions that are due soon or overdue — once each (run by ``chat_sla_check``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from server.notifications.delivery import notify

from .models import Question
from .queries import due_soon_window


@dataclass(frozen=True)
class Sent:
    due_soon: int
    overdue: int


def _link(question: Question) -> str:
    return f"{reverse('chat:page')}?room={question.room_id}&seq={question.message.seq}"


def notify_due(now: datetime) -> Sent:
    waiting = Question.objects.select_related("parent", "curator", "message", "room").filter(answered_at__isnull=True)
    overdue = list(waiting.filter(due_at__lt=now, overdue_notified_at__isnull=True))
    for question in overdue:
        notify(
            question.curator,
            "chat.answer_overdue",
            f"Просрочен ответ родителю: {question.parent} в «{question.room.title}»",
            _link(question),
        )
    Question.objects.filter(pk__in=[q.pk for q in overdue]).update(overdue_notified_at=now)
    soon = list(waiting.filter(due_at__gte=now, due_at__lt=now + due_soon_window(), due_soon_notified_at__isnull=True))
    for question in soon:
        notify(
            question.curator,
            "chat.answer_due_soon",
            f"Скоро срок ответа родителю: {question.parent} в «{question.room.title}»",
            _link(question),
        )
    Question.objects.filter(pk__in=[q.pk for q in soon]).update(due_soon_notified_at=now)
    return Sent(due_soon=len(soon), overdue=len(overdue))
