"""Chats on the home page: rooms with unread messages, a parent's questions to curators with their answer
status, a curator's questions due soon or overdue (the answer deadline, CHAT_ANSWER_DEADLINE_HOURS)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chat import unread
from chat.models import Room
from chat.sla import queries as answers
from chat.sla.models import Question
from server.accounts.models import User

from .items import Item

SHOWN = 10


def _when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "d.m H:i")


def unread_rooms(user: User) -> list[Item]:
    counts = unread.by_room(user)
    rooms = Room.objects.filter(pk__in=counts).order_by("-last_seq")[:SHOWN]
    chat = reverse("chat:page")
    return [
        Item(room.display_title, _("непрочитанных: %(count)s") % {"count": counts[room.pk]}, f"{chat}?room={room.pk}")
        for room in rooms
    ]


def parent_questions(parent: User, now: dt.datetime) -> list[Item]:
    """The parent's latest questions to curators: answered, waiting (until when), or late."""
    questions = Question.objects.filter(parent=parent).select_related("curator", "message").order_by("-asked_at")
    items = []
    for question in questions[:SHOWN]:
        if question.answered_at is not None:
            state = _("ответ получен %(time)s") % {"time": _when(question.answered_at)}
        elif question.due_at < now:
            state = _("ответ задерживается (срок был %(time)s)") % {"time": _when(question.due_at)}
        else:
            state = _("ждёт ответа до %(time)s") % {"time": _when(question.due_at)}
        title = _("Вопрос куратору %(curator)s") % {"curator": question.curator}
        url = unread.message_link(question.room_id, question.message.seq)
        late = question.answered_at is None and question.due_at < now
        items.append(Item(title, f"{question.message.text[:80]} · {state}", url, urgent=late))
    return items


def curator_questions(curator: User, now: dt.datetime) -> list[Item]:
    """Parents' questions the curator has not answered: overdue first, then those due soon."""
    items = []
    for question, late in [(q, True) for q in answers.overdue(curator, now)[:SHOWN]] + [
        (q, False) for q in answers.due_soon(curator, now)[:SHOWN]
    ]:
        state = _("просрочен с %(time)s") if late else _("ответить до %(time)s")
        url = unread.message_link(question.room_id, question.message.seq)
        title = _("Вопрос родителя %(parent)s") % {"parent": question.parent}
        detail = f"{question.message.text[:80]} · " + state % {"time": _when(question.due_at)}
        items.append(Item(title, detail, url, _("Ответить"), urgent=late))
    return items


def overdue_count() -> int:
    return Question.objects.filter(answered_at__isnull=True, due_at__lt=timezone.now()).count()
