"""Tell curators about questions that are due soon or overdue — once each (run by ``chat_sla_check``).

The texts are translated when the curator reads them (see server.notifications.models.Notification);
the room is named by its stored title (names only, see chat.models.Room.display_title).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_noop

from server.notifications.delivery import notify

from .models import Question
from .queries import due_soon_window


@dataclass(frozen=True)
class Sent:
    due_soon: int
    overdue: int


def _send(question: Question, kind: str, text: str) -> None:
    link = f"{reverse('chat:page')}?room={question.room_id}&seq={question.message.seq}"
    notify(question.curator, kind, text, link, params={"parent": str(question.parent), "room": question.room.title})


def notify_due(now: datetime) -> Sent:
    waiting = Question.objects.select_related("parent", "curator", "message", "room").filter(answered_at__isnull=True)
    overdue = list(waiting.filter(due_at__lt=now, overdue_notified_at__isnull=True))
    for question in overdue:
        _send(question, "chat.answer_overdue", gettext_noop("Просрочен ответ родителю %(parent)s в чате «%(room)s»"))
    Question.objects.filter(pk__in=[q.pk for q in overdue]).update(overdue_notified_at=now)
    soon = list(waiting.filter(due_at__gte=now, due_at__lt=now + due_soon_window(), due_soon_notified_at__isnull=True))
    for question in soon:
        _send(question, "chat.answer_due_soon", gettext_noop("Скоро срок ответа родителю %(parent)s в чате «%(room)s»"))
    Question.objects.filter(pk__in=[q.pk for q in soon]).update(due_soon_notified_at=now)
    return Sent(due_soon=len(soon), overdue=len(overdue))
