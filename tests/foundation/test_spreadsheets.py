"""Every CSV export opens as columns in Russian Excel: ``;``, UTF-8 with BOM, local times, no formulas.

One writer (server/spreadsheet.py) serves the exam report, the attendance sheet, the login sheet and
the curators' answer report; each is checked here through its own URL or function.
"""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from chat.models import Message, Room
from chat.rooms import ensure_room
from chat.sla.models import Question
from lessons.models import Lesson, LessonRun, Participant, Presence
from proctor.models import Episode, Exam, ExamSession
from server.accounts.importing import IssuedLogin, sheet_csv
from server.accounts.models import Role
from server.school.models import StudyGroup
from server.spreadsheet import cell, csv_text

NASTY = '=HYPERLINK("http://evil")'
UTC_NOON = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)  # 12:00:05 in Moscow


def lines(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # UTF-8 with BOM
    text = content.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("=1+2", "'=1+2"),
        ("+7 900 000-00-00", "'+7 900 000-00-00"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Иванов", "Иванов"),
        (-3, "-3"),  # numbers are numbers
        (12.5, "12,5"),  # decimal comma
        (None, ""),
        (UTC_NOON, "2026-03-02 12:00:05"),  # the school's time zone, not UTC
    ],
)
def test_a_cell_is_safe_and_local(settings, value, text):
    settings.TIME_ZONE = "Europe/Moscow"
    assert cell(value) == text


def test_the_file_is_semicolon_separated_utf8_with_bom():
    assert csv_text(["а", "б"], [["x;y", 1]]) == '\ufeffа;б\r\n"x;y";1\r\n'


def test_exam_report_csv(school, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    now = timezone.now()
    exam = Exam.objects.create(
        title="Физика", group=StudyGroup.objects.get(name="9А"), opens_at=now, closes_at=now + timedelta(hours=1)
    )
    exam.proctors.add(school["proctor"])
    session = ExamSession.objects.create(exam=exam, student=school["student"], state="ended")
    Episode.objects.create(session=session, kind="no_face", started_at=UTC_NOON, comment=NASTY)
    client = Client()
    client.force_login(school["proctor"])
    rows = lines(client.get(f"/proctor/exams/{exam.pk}/report.csv").content)
    assert len(rows[0]) == 10
    assert rows[1][4:6] == ["2026-03-02 12:00:05", ""]
    assert rows[1][7] == "'" + NASTY


def test_attendance_csv(school, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    lesson = Lesson.objects.create(
        title="Алгебра", group=StudyGroup.objects.get(name="9А"), teacher=school["teacher"], starts_at=UTC_NOON
    )
    run = LessonRun.objects.create(lesson=lesson, starts_at=UTC_NOON)
    participant = Participant.objects.create(run=run, user=school["student"], role=Participant.Role.STUDENT)
    Presence.objects.create(participant=participant, joined_at=UTC_NOON, left_at=UTC_NOON + timedelta(minutes=30))
    client = Client()
    client.force_login(school["teacher"])
    rows = lines(client.get(f"/lessons/runs/{run.pk}/attendance.csv").content)
    student = next(r for r in rows if r[1] == "student")
    assert student[2:5] == ["2026-03-02 12:00:05", "2026-03-02 12:30:05", "30,0"]


def test_login_sheet_csv():
    issued = [IssuedLogin(full_name="-Иванов Иван", role=Role.STUDENT, group="9А", username="ivanov", password="p")]
    rows = lines(sheet_csv(issued).encode())
    assert rows[1][:3] == ["'-Иванов Иван", "Ученик", "9А"]


def test_login_sheet_page_offers_the_same_file(school):
    client = Client()
    client.force_login(school["admin"])
    upload = "role;full_name;group\nученик;@Петров Пётр;9А\n".encode()
    page = client.post("/accounts/import/", {"file": SimpleUploadedFile("list.csv", upload)}).content.decode()
    data = base64.b64decode(page.split("base64,")[1].split('"')[0])
    assert lines(data)[1][0] == "'@Петров Пётр"


def test_answers_report_csv(school, settings):
    room = ensure_room(Room.Kind.PARENTS, "sla", "9А", [school["parent"]], moderators=[school["curator"]])
    school["curator"].last_name = "=cmd"
    school["curator"].save()
    message = Message.objects.create(room=room, seq=1, author=school["parent"], client_id="q", text="?")
    asked = timezone.now() - timedelta(hours=2)
    Question.objects.create(
        room=room, message=message, parent=school["parent"], curator=school["curator"], asked_at=asked,
        due_at=asked + timedelta(hours=1), answered_at=asked + timedelta(minutes=90),
    )  # fmt: skip
    client = Client()
    client.force_login(school["admin"])
    rows = lines(client.get("/chat/answers/report.csv").content)
    assert rows[1][0].startswith("'=cmd")
    assert rows[1][1:] == ["1", "0", "1", "0", "1,5"]
