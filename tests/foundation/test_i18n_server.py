"""Server texts follow the reader's language: exam reports, episode labels, lesson socket errors,
chat room titles and notifications (stored language-free, translated when shown)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from chat import actions
from chat.rooms import sync_group_rooms
from lessons.routing import websocket_urlpatterns as lesson_sockets
from proctor.models import Episode, Exam, ExamSession
from server.accounts.models import User
from server.notifications.delivery import notify
from server.notifications.routing import websocket_urlpatterns as notification_sockets
from server.school.models import StudyGroup

ENGLISH_HEADER = ["student", "state", "identity", "episode", "start", "end", "review", "comment", "score", "verdict"]
RUSSIAN_HEADER = [
    "ученик",
    "состояние",
    "личность",
    "эпизод",
    "начало",
    "конец",
    "проверка",
    "комментарий",
    "балл",
    "решение",
]


def _client(user: User, language: str | None) -> Client:
    client = Client()
    if language is not None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


@pytest.fixture
def exam(school: dict[str, User]) -> Exam:
    """An exam of 9А proctored by the demo proctor, with one session that looked away once."""
    now = timezone.now()
    exam = Exam.objects.create(
        title="Алгебра", group=StudyGroup.objects.get(name="9А"), opens_at=now, closes_at=now + timedelta(hours=1)
    )
    exam.proctors.add(school["proctor"])
    session = ExamSession.objects.create(exam=exam, student=school["student"])
    Episode.objects.create(session=session, kind="looking_away", started_at=now)
    return exam


@pytest.mark.parametrize(
    ("language", "header", "label"),
    [("en", ENGLISH_HEADER, "looking away"), (None, RUSSIAN_HEADER, "взгляд в сторону")],
)
def test_report_csv_is_in_the_language_of_who_asks(
    school: dict[str, User], exam: Exam, language: str | None, header: list[str], label: str
) -> None:
    response = _client(school["proctor"], language).get(reverse("proctor:report_csv", args=[exam.pk]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == header
    assert rows[1][3] == label


def test_session_timeline_labels_episodes_in_english(school: dict[str, User], exam: Exam) -> None:
    session = exam.sessions.get()
    html = _client(school["proctor"], "en").get(reverse("proctor:session_detail", args=[session.pk])).content.decode()
    assert "looking away" in html
    assert "взгляд в сторону" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "detail"), [("en", "You are not a participant of this lesson."), ("ru", "Вы не участник этого урока.")]
)
async def test_lesson_socket_answers_in_the_pages_language(language: str, detail: str) -> None:
    user = await User.objects.acreate(username="outsider")
    socket = WebsocketCommunicator(URLRouter(lesson_sockets), "/ws/lessons/999999/")
    socket.scope.update(user=user, cookies={settings.LANGUAGE_COOKIE_NAME: language})
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "join"})
    assert await socket.receive_json_from(timeout=5) == {"type": "error", "error": "forbidden", "detail": detail}
    await socket.disconnect()


def test_parents_room_title_and_chat_notifications_are_in_the_readers_language(school: dict[str, User]) -> None:
    group_room, parents_room = sync_group_rooms(StudyGroup.objects.get(name="9А"))
    assert parents_room.title == "9А"
    with translation.override("en"):
        assert parents_room.display_title == "9А: parents"
    with translation.override("ru"):
        assert parents_room.display_title == "9А: родители"

    message, _ = actions.post_message(school["student"], group_room.pk, "c-1", "Когда контрольная?")
    actions.report_message(school["student2"], group_room.pk, message.seq, "spam")
    english = _client(school["curator"], "en").get(reverse("home")).content.decode()
    russian = _client(school["curator"], None).get(reverse("home")).content.decode()
    assert "A message was reported in the chat “9А”" in english
    assert "Жалоба на сообщение в чате «9А»" in russian


@pytest.mark.django_db(transaction=True)
async def test_pushed_notification_reaches_each_tab_in_its_language() -> None:
    user = await User.objects.acreate(username="curator-x")
    tabs = {}
    for language in ("en", "ru"):
        tabs[language] = WebsocketCommunicator(URLRouter(notification_sockets), "/ws/notifications/")
        tabs[language].scope.update(user=user, cookies={settings.LANGUAGE_COOKIE_NAME: language})
        assert (await tabs[language].connect())[0]
    message = "Жалоба на сообщение в чате «%(room)s»"  # a message chat.actions sends
    await database_sync_to_async(notify)(user, "chat.report", message, "/chat/", params={"room": "9А"})
    english, russian = [(await tabs[language].receive_json_from(timeout=5))["notification"] for language in tabs]
    assert english["text"] == "A message was reported in the chat “9А”"
    assert russian["text"] == "Жалоба на сообщение в чате «9А»"
    for tab in tabs.values():
        await tab.disconnect()


# The PDF's metadata title: ASCII as it is, anything else as escaped UTF-16 (byte order mark first).
@pytest.mark.parametrize(
    ("language", "title"), [("en", b"/Title (Report: Algebra)"), (None, b"/Title (\\376\\377\\004\\036\\004B")]
)
def test_report_pdf_is_in_the_language_of_who_asks(
    school: dict[str, User], exam: Exam, language: str | None, title: bytes
) -> None:
    Exam.objects.filter(pk=exam.pk).update(title="Algebra")
    response = _client(school["proctor"], language).get(reverse("proctor:report_pdf", args=[exam.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert title in response.content  # "Report: Algebra" / "Отчёт: Algebra" ("О" is U+041E)
