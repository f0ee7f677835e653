"""Curators answer parents in time: the clock, the lists, the report, the notifications (time travel in process)."""

from __future__ import annotations

import csv
import io
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat import demo as chat_demo
from chat.actions import delete_message, post_message
from chat.models import Room
from chat.rooms import ensure_room
from chat.sla import queries
from chat.sla.models import Question
from server.accounts.models import Role, User, UserRole
from server.notifications.models import Notification
from server.school import demo as school_demo

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime(2026, 9, 1, 10, 0))


def person(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="x", last_name=username.title())
    UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "curator": person("curator", Role.CURATOR),
        "curator2": person("curator2", Role.CURATOR),
        "teacher": person("teacher", Role.TEACHER),
        "parent": person("parent", Role.PARENT),
        "parent2": person("parent2", Role.PARENT),
        "admin": person("admin", Role.ADMIN),
    }


@pytest.fixture
def direct(people) -> Room:
    return ensure_room(Room.Kind.DIRECT, "curator:parent", "direct", [people["curator"], people["parent"]])


@pytest.fixture
def parents_chat(people) -> Room:
    members = [people[n] for n in ("parent", "parent2")]
    staff = [people[n] for n in ("curator", "curator2", "teacher")]
    return ensure_room(Room.Kind.PARENTS, uuid.uuid4().hex, "9А", members, staff)


@contextmanager
def at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def say(user: User, room: Room, text: str, when: datetime, reply_to: int | None = None):
    with at(when):
        message, _ = post_message(user, room.pk, uuid.uuid4().hex, text, reply_to)
    return message


def test_direct_question_becomes_overdue_after_three_days_then_an_answer_stops_the_clock(people, direct):
    curator, parent = people["curator"], people["parent"]
    question = say(parent, direct, "Здравствуйте! Когда родительское собрание?", T0)
    say(parent, direct, "И во сколько?", T0 + timedelta(hours=1))  # a follow-up does not restart the clock
    assert Question.objects.count() == 1
    opened = Question.objects.get()
    assert (opened.message_id, opened.curator, opened.due_at) == (question.pk, curator, T0 + timedelta(hours=72))

    day2 = T0 + timedelta(hours=50)
    assert list(queries.due_soon(curator, day2)) == [opened]
    assert not queries.overdue(curator, day2).exists()
    day4 = T0 + timedelta(hours=73)
    assert list(queries.overdue(curator, day4)) == [opened]
    assert list(queries.overdue(people["admin"], day4)) == [opened]  # the administrator sees everyone's
    assert not queries.overdue(people["curator2"], day4).exists()  # a curator sees only their own
    assert not queries.overdue(parent, day4).exists()

    say(curator, direct, "Собрание в четверг в 18:00.", T0 + timedelta(hours=80))
    opened.refresh_from_db()
    assert opened.answered_at == T0 + timedelta(hours=80)
    assert opened.answered_by == curator
    assert not queries.overdue(curator, T0 + timedelta(days=10)).exists()

    (row,) = queries.report(people["admin"], T0 - timedelta(days=1), T0 + timedelta(days=1), T0 + timedelta(days=10))
    assert (row.curator, row.questions, row.answered_in_time, row.overdue, row.median_answer_hours) == (
        curator,
        1,
        0,
        1,
        80.0,
    )


def test_parents_chat_counts_only_mentions_and_only_curators_answer(people, parents_chat):
    curator, curator2 = people["curator"], people["curator2"]
    say(people["parent"], parents_chat, "Всем добрый вечер!", T0)
    assert not Question.objects.exists()  # no curator mentioned
    asked = say(people["parent"], parents_chat, "@curator подскажите, где расписание?", T0 + timedelta(minutes=5))
    say(people["parent2"], parents_chat, "@curator2 а у нас будет экскурсия?", T0 + timedelta(minutes=6))
    assert {(q.parent.username, q.curator.username) for q in Question.objects.all()} == {
        ("parent", "curator"),
        ("parent2", "curator2"),
    }

    say(people["teacher"], parents_chat, "Расписание на сайте.", T0 + timedelta(hours=1))
    assert Question.objects.filter(answered_at__isnull=True).count() == 2  # a teacher's message is not the answer
    # curator2 replies to the first question (quoting it): that one is answered, curator2's own still waits
    say(curator2, parents_chat, "Расписание в дневнике.", T0 + timedelta(hours=2), reply_to=asked.seq)
    answered = Question.objects.get(parent__username="parent")
    assert (answered.answered_by, answered.answered_at) == (curator2, T0 + timedelta(hours=2))
    assert Question.objects.get(parent__username="parent2").answered_at is None

    rows = {r.curator.username: r for r in queries.report(curator, T0, T0 + timedelta(days=1), T0 + timedelta(days=5))}
    assert set(rows) == {"curator"}  # a curator's report shows their own row only
    assert (rows["curator"].answered_in_time, rows["curator"].median_answer_hours) == (1, 1.9)
    everyone = queries.report(people["admin"], T0, T0 + timedelta(days=1), T0 + timedelta(days=5))
    assert [(r.curator.username, r.overdue, r.waiting) for r in everyone] == [("curator", 0, 0), ("curator2", 1, 0)]


def test_a_question_deleted_before_the_answer_is_withdrawn(people, direct):
    asked = say(people["parent"], direct, "Ой, не туда написала", T0)
    assert Question.objects.filter(answered_at__isnull=True).count() == 1
    with at(T0 + timedelta(minutes=1)):
        delete_message(people["parent"], direct.pk, asked.seq)
    assert not Question.objects.exists()


def test_deadline_is_configurable(people, direct, settings):
    settings.CHAT_ANSWER_DEADLINE_HOURS = 24
    say(people["parent"], direct, "Можно забрать ребёнка пораньше?", T0)
    assert Question.objects.get().due_at == T0 + timedelta(hours=24)


def test_sla_check_notifies_due_soon_then_overdue_once_each(people, direct):
    say(people["parent"], direct, "Добрый день, вопрос по оценкам.", T0)
    kinds = lambda: list(Notification.objects.filter(user=people["curator"]).values_list("kind", flat=True))  # noqa: E731
    with at(T0 + timedelta(hours=10)):
        call_command("chat_sla_check", stdout=io.StringIO())
    assert kinds() == []
    with at(T0 + timedelta(hours=60)):
        call_command("chat_sla_check", stdout=io.StringIO())
        call_command("chat_sla_check", stdout=io.StringIO())
    assert kinds() == ["chat.answer_due_soon"]
    with at(T0 + timedelta(hours=73)):
        out = io.StringIO()
        call_command("chat_sla_check", stdout=out)
        call_command("chat_sla_check", stdout=io.StringIO())
    assert "overdue: 1 notified" in out.getvalue()
    assert sorted(kinds()) == ["chat.answer_due_soon", "chat.answer_overdue"]
    assert Notification.objects.filter(user=people["parent"]).count() == 0


def test_pages_lists_report_and_csv(client, people, direct):
    say(people["parent"], direct, "Когда каникулы?", timezone.now() - timedelta(hours=80))
    client.force_login(people["parent"])
    assert client.get("/chat/answers/").status_code == 403
    assert client.get("/chat/answers/report.csv").status_code == 403

    client.force_login(people["curator"])
    page = client.get("/chat/answers/")
    assert page.status_code == 200
    assert list(page.context["overdue"]) == list(Question.objects.all())
    assert "Когда каникулы?" in page.content.decode()
    chat_page = client.get("/chat/").content.decode()
    assert "просрочено: 1" in chat_page  # the chat page points the curator at it too

    client.force_login(people["admin"])
    report = client.get("/chat/answers/report/")
    assert [r.questions for r in report.context["rows"]] == [1]
    exported = client.get("/chat/answers/report.csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Куратор"
    assert rows[1][:5] == ["Curator", "1", "0", "1", "0"]


def test_demo_chats_show_a_due_soon_and_an_overdue_question():
    school_demo.seed()
    assert chat_demo.seed() == "6 demo chat messages posted"
    assert chat_demo.seed() == "demo chats already present"
    admin, now = User.objects.get(username="admin"), timezone.now()
    assert [q.parent.username for q in queries.due_soon(admin, now)] == ["parent"]
    assert [(q.parent.username, q.curator.username) for q in queries.overdue(admin, now)] == [("parent2", "curator2")]
