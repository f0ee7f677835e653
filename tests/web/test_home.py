"""The home page answers "what now?" for each role (issue 15), only with what the person may see, in a
fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support import setups


@pytest.fixture
def morning(school) -> dict[str, int]:
    return setups.school_morning()


def this_week(usual: str, just_after_monday_midnight: str) -> str:
    """History (held 90 minutes ago, attended) and Geometry (20 minutes ago, ended early) are both this week's,
    except in the first 90 minutes of a Monday."""
    from web.home.attendance import week_start

    now = timezone.now()
    return usual if now - dt.timedelta(minutes=90) >= week_start(now) else just_after_monday_midnight


def home(client_for, username: str) -> str:
    response = client_for(username).get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, key: str) -> str:
    """The HTML of one "now" section (empty when the page has none)."""
    found = re.search(rf'<section class="now-section[^"]*" id="now-{key}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_student_sees_the_lesson_to_join_the_open_exam_and_the_reviewed_one(client_for, morning):
    page = home(client_for, "student")
    lessons = section(page, "lessons")
    assert f'href="/lessons/{morning["lesson_now"]}/"' in lessons
    assert "Войти" in lessons
    assert "Геометрия" not in lessons  # ended by the teacher: not "now" any more
    exams = section(page, "exams")
    assert f'href="/proctor/exams/{morning["exam"]}/take/"' in exams
    assert "Начать экзамен" in exams
    reviewed = section(page, "reviewed")
    assert f'href="/proctor/sessions/{morning["reviewed_session"]}/"' in reviewed
    assert "замечание" in reviewed
    assert "комментариев: 1" in reviewed
    unread = section(page, "unread")
    assert f'?room={morning["nine_chat"]}"' in unread
    assert "непрочитанных: 1" in unread
    assert f'?room={morning["ten_chat"]}"' not in unread


def test_parent_sees_only_their_own_child(client_for, morning, school):
    page = home(client_for, "parent")
    child = section(page, f"child-{school['student'].pk}")
    assert "Алгебра" in child
    assert "Химия 10Б" not in child
    assert this_week("На этой неделе: был на 1 из 2 уроков", "На этой неделе: был на 0 из 1 уроков") in child
    assert "Диктант" in child
    assert "замечание" in child
    assert f"now-child-{school['student3'].pk}" not in page  # another parent's child
    assert "Химия 10Б" not in page
    assert f'?room={morning["ten_chat"]}"' not in page
    questions = section(page, "my-questions")
    assert "Когда родительское собрание?" in questions
    assert "ответ задерживается" in questions
    assert "join-button" not in page  # the child joins, not the parent


def test_teacher_sees_todays_lessons_sheets_and_sessions_to_review(client_for, morning):
    page = home(client_for, "teacher")
    today = section(page, "today")
    assert f'href="/lessons/{morning["lesson_now"]}/"' in today
    assert "Начать урок" in today
    assert "Урок завершён" in today  # Геометрия, ended early
    assert f'href="/lessons/runs/{morning["ended_run"]}/attendance/"' in section(page, "sheets")
    to_review = section(page, "to-review")
    assert f'href="/proctor/sessions/{morning["unreviewed_session"]}/"' in to_review
    assert f"/proctor/sessions/{morning['reviewed_session']}/" not in to_review


def test_curator_sees_the_overdue_question_until_it_is_answered(client_for, morning, school):
    from chat import actions

    questions = section(home(client_for, "curator"), "questions")
    assert "Когда родительское собрание?" in questions
    assert "просрочен с" in questions
    assert f'?room={morning["question_room"]}&amp;seq=1"' in questions
    assert this_week("уроков: 2, посещаемость 25%", "уроков: 1, посещаемость 0%") in section(
        home(client_for, "curator"), "attendance"
    )
    actions.post_message(school["curator"], morning["question_room"], "a-1", "В четверг в 18:00")
    assert "Когда родительское собрание?" not in section(home(client_for, "curator"), "questions")


def test_proctor_sees_the_sitting_with_its_counts(client_for, morning, school):
    from proctor.models import Episode, ExamSession

    session = ExamSession.objects.create(
        exam_id=morning["exam"], student=school["student"], state=ExamSession.State.RUNNING
    )
    Episode.objects.create(session=session, kind="looking_away", started_at=timezone.now())
    sittings = section(home(client_for, "proctor"), "sittings")
    assert f'href="/proctor/exams/{morning["exam"]}/dashboard/"' in sittings
    assert "учеников в сети: 1 · нарушений не рассмотрено: 1" in sittings


@pytest.mark.parametrize("username", ["director", "admin"])
def test_director_and_admin_see_the_school_at_a_glance(client_for, morning, username):
    glance = section(home(client_for, username), "glance")
    assert re.search(r"<strong>1</strong> <a [^>]*>Просроченных вопросов родителей", glance)
    assert re.search(r"<strong>1</strong> <a [^>]*>Экзаменов открыто сейчас", glance)


def test_a_notification_about_a_message_goes_once_the_message_is_read(client_for, morning, school):
    from chat import actions

    actions.post_message(school["teacher"], morning["nine_chat"], "m-2", "@student зайди после урока")
    assert "зайди после урока" in home(client_for, "student")
    room_last = actions.post_message(school["teacher"], morning["nine_chat"], "m-3", "и возьми тетрадь")[0].seq
    actions.mark_read(school["student"], morning["nine_chat"], room_last)
    page = home(client_for, "student")
    assert "зайди после урока" not in page
    assert f'?room={morning["nine_chat"]}"' not in section(page, "unread")


def more_of_everything() -> None:
    """Twice the lessons, exams, reviewed sessions, questions and unread rooms of school_morning."""
    setups.school_morning()


@pytest.mark.parametrize("username", ["student", "parent", "teacher", "curator", "proctor", "director", "admin"])
def test_the_home_page_costs_the_same_queries_however_much_there_is(client_for, morning, username):
    client = client_for(username)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/").status_code == 200
    more_of_everything()
    with CaptureQueriesContext(connection) as second:
        assert client.get("/").status_code == 200
    assert len(second) == len(first), [q["sql"][:120] for q in second.captured_queries]
    assert len(first) <= 40


def test_ended_and_running_lessons_say_so_on_the_schedule(client_for, morning):
    curator = client_for("curator").get("/lessons/").content.decode()
    row = re.search(rf'<tr data-lesson="{morning["lesson_now"]}">.*?</tr>', curator, re.S).group(0)
    assert "идёт" in row
    assert "вход с" not in row
    student = client_for("student").get("/lessons/").content.decode()
    ended = re.search(rf'<tr data-lesson="{morning["ended_lesson"]}">.*?</tr>', student, re.S).group(0)
    assert "Урок завершён" in ended
    assert "Войти" not in ended
    room = client_for("student").get(f"/lessons/{morning['ended_lesson']}/").content.decode()
    assert "Урок завершён" in room
    assert 'id="lesson-layout" hidden' in room


def test_every_page_has_the_favicon_the_unread_badge_and_languages_in_their_own_names(client_for, morning):
    page = client_for("student").get("/lessons/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert re.search(r'id="unread-badge" class="badge">1<', page)
    assert ">Русский</option>" in page
    assert ">English</option>" in page
    response = client_for("student").get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    english = client_for("student")
    english.cookies["django_language"] = "en"
    assert ">Русский</option>" in english.get("/").content.decode()


def test_week_start_is_monday_midnight():
    from web.home.attendance import week_start

    wednesday = timezone.make_aware(dt.datetime(2026, 12, 2, 15, 30))
    assert timezone.localtime(week_start(wednesday)).isoformat().startswith("2026-11-30T00:00:00")
