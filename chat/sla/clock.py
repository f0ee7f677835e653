"""Start and stop the answer clock as messages are stored (a ``post_save`` receiver on Message).

* A message by a parent starts a clock for each curator it is addressed to: the other member of
  a direct chat, or the curators it mentions in a parents' chat — unless that parent already has
  an open question to that curator in the room (follow-ups do not restart the clock).
* A message by a curator stops clocks in its room: when it replies to a question, that question
  (whoever it was addressed to); when it mentions parents, their questions; otherwise every open
  question addressed to this curator in the room.

* A question whose message is deleted before it was answered is withdrawn.

It runs inside the transaction that stores the message, so a question exists exactly when its
message does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from chat.models import Membership, Message, Room
from server.accounts.models import Role, User

from .models import Question

WATCHED_ROOMS = (Room.Kind.DIRECT, Room.Kind.PARENTS)


def deadline() -> timedelta:
    return timedelta(hours=settings.CHAT_ANSWER_DEADLINE_HOURS)


def room_curators(room: Room) -> list[int]:
    return list(
        User.objects.filter(chat_memberships__room=room, role_set__role=Role.CURATOR, is_active=True).values_list(
            "pk", flat=True
        )
    )


def addressed_curators(message: Message, room: Room) -> list[int]:
    curators = [pk for pk in room_curators(room) if pk != message.author_id]
    if room.kind == Room.Kind.DIRECT:
        return curators
    mentioned = set(message.mentions or [])
    return [pk for pk in curators if pk in mentioned]


def open_questions(message: Message, room: Room, parent: User, curators: list[int]) -> None:
    already = set(
        Question.objects.filter(
            room=room, parent=parent, curator_id__in=curators, answered_at__isnull=True
        ).values_list("curator_id", flat=True)
    )
    due = message.created_at + deadline()
    Question.objects.bulk_create(
        [
            Question(room=room, message=message, parent=parent, curator_id=c, asked_at=message.created_at, due_at=due)
            for c in curators
            if c not in already
        ]
    )


def close_questions(message: Message, room: Room, curator: User) -> int:
    waiting = Question.objects.filter(room=room, answered_at__isnull=True, asked_at__lte=message.created_at)
    if message.reply_to_id is not None and waiting.filter(message_id=message.reply_to_id).exists():
        waiting = waiting.filter(message_id=message.reply_to_id)
    elif message.mentions and waiting.filter(parent_id__in=message.mentions).exists():
        waiting = waiting.filter(parent_id__in=message.mentions)
    else:
        waiting = waiting.filter(curator=curator)
    return waiting.update(answered_at=message.created_at, answer=message, answered_by=curator)


@receiver(post_save, sender=Message, dispatch_uid="chat-sla-clock")
def on_message_stored(sender: Any, instance: Message, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.author_id is None:
        return
    if not created:
        if instance.deleted_at is not None:
            Question.objects.filter(message=instance, answered_at__isnull=True).delete()
        return
    room = instance.room
    if room.kind not in WATCHED_ROOMS:
        return
    author = instance.author
    assert author is not None  # author_id was checked above
    if author.has_role(Role.CURATOR):
        close_questions(instance, room, author)
    elif author.has_role(Role.PARENT) and Membership.objects.filter(room=room, user=author).exists():
        curators = addressed_curators(instance, room)
        if curators:
            open_questions(instance, room, author, curators)
