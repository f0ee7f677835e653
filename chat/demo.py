"""Demo conversations for `make run`: the 9А chats, and parents' questions to curators — one due soon, one overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from server.accounts.models import User
from server.school.models import StudyGroup

from .actions import post_message
from .models import Message, Room
from .rooms import open_direct, sync_group_rooms
from .sla.clock import deadline
from .sla.models import Question

CLIENT_PREFIX = "demo-"


@dataclass(frozen=True)
class Line:
    room: str  # "group", "parents" or "direct:<other username>"
    author: str
    text: str
    hours_ago: float


SCRIPT = (
    Line("parents", "curator", "Добрый вечер! В четверг в 18:00 родительское собрание в кабинете 21.", 80),
    Line("parents", "parent", "@curator подскажите, нужна ли сменная обувь на экскурсию в пятницу?", 50),
    Line("parents", "teacher", "Программу экскурсии пришлю завтра.", 49),
    Line("group", "curator", "Ребята, не забудьте подписать дневники до пятницы.", 20),
    Line("group", "student", "Хорошо, Ольга Николаевна!", 19),
    Line("direct:curator2", "parent2", "Здравствуйте! Сын пропустит два дня по болезни, как быть с контрольной?", 90),
)


def seed(now: dt.datetime | None = None) -> str:
    """Post the demo lines once (backdated), so «Ответы родителям» shows a due-soon and an overdue question."""
    if Message.objects.filter(client_id__startswith=CLIENT_PREFIX).exists():
        return "demo chats already present"
    group = StudyGroup.objects.filter(name="9А").first()
    users = {u.username: u for u in User.objects.filter(username__in={line.author for line in SCRIPT} | {"curator2"})}
    if group is None or len(users) < 6:
        return "no demo school: no demo chats"
    group_room, parents_room = sync_group_rooms(group)
    now = now or timezone.now()
    for number, line in enumerate(SCRIPT):
        room = _room(line.room, users[line.author], group_room, parents_room, users)
        message, _ = post_message(users[line.author], room.pk, f"{CLIENT_PREFIX}{number}", line.text)
        at = now - dt.timedelta(hours=line.hours_ago)
        Message.objects.filter(pk=message.pk).update(created_at=at)
        Question.objects.filter(message=message).update(asked_at=at, due_at=at + deadline())
    return f"{len(SCRIPT)} demo chat messages posted"


def _room(where: str, author: User, group_room: Room, parents_room: Room, users: dict[str, User]) -> Room:
    if where == "group":
        return group_room
    if where == "parents":
        return parents_room
    return open_direct(author, users[where.partition(":")[2]])
