"""The reports a school hands in, checked against a fortnight with known totals (tests/reports/fortnight.py):
the page, CSV, XLSX and PDF say the same; who may read what; a closed period refuses edits."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from reports import formats
from reports.models import AbsenceReason, ClosedPeriod
from server.accounts.models import AuditEvent
from tests.proctor.test_report_pdf import drawn_text

from . import fortnight

FORTNIGHT = f"?date={fortnight.DAY}"
NOVEMBER = f"?period=month&date={fortnight.DAY}"
# login: (logins, lessons attended, messages, exams taken) in 9–22 November, for 9А's people
ACTIVITY_9A = {
    "student": (3, 2, 5, 1),
    "student2": (0, 1, 0, 0),
    "novikova": (0, 0, 0, 0),
    "parent": (2, 0, 2, 0),
    "teacher": (4, 2, 0, 0),
    "curator": (1, 0, 1, 0),
}


@pytest.fixture
def seeded(school):
    return fortnight.seed(school)


def csv_rows(response) -> dict[str, list[str]]:
    """CSV rows by login (the second column); the file is for Russian Excel: BOM, «;»."""
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = [line.split(";") for line in text[1:].splitlines()]
    return {line[1]: line for line in lines[1:]}


def xlsx_rows(response) -> tuple[dict[str, list], set[str]]:
    """XLSX rows by login, and the logins of the highlighted rows."""
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows, highlighted = {}, set()
    for row in sheet.iter_rows(min_row=4):
        values = [c.value for c in row]
        rows[values[1]] = values
        if row[0].fill.fgColor.rgb.endswith(formats.HIGHLIGHT):
            highlighted.add(values[1])
    return rows, highlighted


def test_curators_group_activity_for_the_fortnight_in_every_format(seeded, client_for, monkeypatch):
    client = client_for("curator")
    url = f"/reports/activity/group/{seeded['group'].pk}/{FORTNIGHT}"
    page = client.get(url).content.decode()
    assert "09.11.2026 — 22.11.2026" in page
    assert page.count('<tr class="highlight">') == 1  # Новикова only
    assert "<td>Новикова Ольга</td><td>novikova</td>" in page

    rows = csv_rows(client.get(url + "&format=csv"))
    assert set(rows) == set(ACTIVITY_9A)
    for login, counts in ACTIVITY_9A.items():
        assert tuple(int(v) for v in rows[login][3:7]) == counts, login
        assert rows[login][7] == ("да" if login == "novikova" else "нет")

    sheet, highlighted = xlsx_rows(client.get(url + "&format=xlsx"))
    assert {login: tuple(values[3:7]) for login, values in sheet.items()} == ACTIVITY_9A
    assert highlighted == {"novikova"}

    pdf = client.get(url + "&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"DejaVuSans" in pdf.content  # the Cyrillic font is embedded
    monkeypatch.setattr(formats, "PDF_FONT", formats.Path("/nonexistent.ttf"))  # Helvetica: text is readable
    text = drawn_text(client.get(url + "&format=pdf").content)
    # login, role (Cyrillic: unreadable in Helvetica), logins, lessons, messages, exams: one row after another
    assert re.search(r"studentn+3251", text)
    assert re.search(r"novikovan+0000", text)
    assert AuditEvent.objects.filter(kind="reports.download", actor__username="curator").count() == 4


def test_directors_school_activity_by_role(seeded, client_for):
    client = client_for("director")
    rows = csv_rows(client.get(f"/reports/activity/{FORTNIGHT}&format=csv"))
    assert rows["student3"][3:8] == ["0", "0", "0", "0", "да"]  # 10Б did nothing this fortnight
    assert tuple(int(v) for v in rows["student"][3:7]) == ACTIVITY_9A["student"]
    by_role = client.get(f"/reports/activity/{FORTNIGHT}&table=roles&format=csv").content.decode("utf-8-sig")
    lines = {line.split(";")[0]: line.split(";")[1:] for line in by_role.splitlines()[1:]}
    # students: student, student2, student3, novikova; inactive: student3, novikova; 3 logins, 3 lessons, 5, 1
    assert lines["Ученик"] == ["4", "2", "3", "3", "5", "1"]
    assert lines["Родитель"] == ["2", "1", "2", "0", "2", "0"]


def test_group_attendance_per_month_and_week(seeded, client_for):
    client = client_for("teacher")
    url = f"/reports/attendance/group/{seeded['group'].pk}/"
    rows = csv_rows(client.get(url + NOVEMBER + "&format=csv"))
    # lessons, present, late, absent, excused, minutes, minutes with media
    assert rows["student"][2:9] == ["3", "3", "0", "0", "0", "135,0", "30,0"]
    assert rows["student2"][2:9] == ["3", "1", "1", "2", "1", "35,0", "0,0"]
    assert rows["novikova"][2:9] == ["3", "0", "0", "3", "0", "0,0", "0,0"]
    week = csv_rows(client.get(url + "?period=week&date=2026-11-17&format=csv"))
    assert week["student2"][2:7] == ["1", "0", "0", "1", "1"]
    sheet, _ = xlsx_rows(client.get(url + NOVEMBER + "&format=xlsx"))
    assert sheet["student2"][2:7] == [3, 1, 1, 2, 1]
    assert client.get(url + NOVEMBER + "&format=pdf").content.startswith(b"%PDF-")
    page = client.get(url + NOVEMBER).content.decode()
    assert "01.11.2026 — 30.11.2026" in page


def test_parent_sees_only_their_own_childs_attendance(seeded, client_for, school):
    parent = client_for("parent")
    own = parent.get(f"/reports/attendance/student/{school['student'].pk}/{NOVEMBER}")
    assert own.status_code == 200
    assert own.content.decode().count("<tr data-run=") == 3
    assert 'name="reason"' not in own.content.decode()  # a parent reads, does not edit
    for url in (
        f"/reports/attendance/student/{school['student2'].pk}/",  # a classmate
        f"/reports/attendance/student/{school['student3'].pk}/?format=csv",
        f"/reports/attendance/group/{seeded['group'].pk}/",  # the whole class
        f"/reports/activity/group/{seeded['group'].pk}/",
        "/reports/activity/",
        "/reports/teachers/",
    ):
        assert parent.get(url).status_code == 404, url
    reason = {"run": seeded["runs"][17].pk, "student": school["student"].pk, "reason": "illness"}
    assert parent.post("/reports/attendance/reason/", reason).status_code == 404
    assert not AbsenceReason.objects.filter(student=school["student"]).exists()


def test_staff_see_their_own_groups_only(seeded, client_for, school):
    other = school["student3"].study_groups.get()
    teacher, curator, curator2 = client_for("teacher"), client_for("curator"), client_for("curator2")
    assert teacher.get(f"/reports/attendance/group/{other.pk}/").status_code == 404
    assert teacher.get(f"/reports/activity/group/{seeded['group'].pk}/").status_code == 404  # curators' report
    assert curator.get(f"/reports/activity/group/{other.pk}/").status_code == 404
    assert curator.get(f"/reports/activity/{FORTNIGHT}").status_code == 404  # the school: director and admin
    assert curator.get(f"/reports/attendance/student/{school['student3'].pk}/").status_code == 404
    assert client_for("student").get(f"/reports/attendance/student/{school['student2'].pk}/").status_code == 404
    teachers_csv = csv_rows(teacher.get(f"/reports/teachers/{NOVEMBER}&format=csv"))
    assert set(teachers_csv) == {"teacher"}  # a teacher sees their own line
    # another curator, and the read-only director, cannot explain 9А's absences
    reason = {"run": seeded["runs"][24].pk, "student": school["student2"].pk, "reason": "family"}
    assert curator2.post("/reports/attendance/reason/", reason).status_code == 404
    assert client_for("director").post("/reports/attendance/reason/", reason).status_code == 404
    assert (
        curator2.post(f"/reports/attendance/group/{seeded['group'].pk}/close/", {"period": "month"}).status_code == 404
    )
    assert not AbsenceReason.objects.filter(run=seeded["runs"][24]).exists()


def test_teachers_activity(seeded, client_for):
    client = client_for("director")
    rows = csv_rows(client.get(f"/reports/teachers/{NOVEMBER}&format=csv"))
    # lessons held, attendance taken, exams reviewed, questions, answered in time, overdue
    assert rows["teacher"][2:8] == ["3", "3", "1", "0", "0", "0"]
    assert rows["curator"][2:8] == ["0", "0", "0", "2", "1", "1"]
    assert rows["teacher2"][2:8] == ["0", "0", "0", "0", "0", "0"]
    _, highlighted = xlsx_rows(client.get(f"/reports/teachers/{NOVEMBER}&format=xlsx"))
    assert highlighted == {"curator"}  # a parent's question answered after the three days


def test_curator_explains_an_absence_then_closes_the_period(seeded, client_for, school):
    curator = client_for("curator")
    student2 = school["student2"]
    run = seeded["runs"][24]
    page = curator.get(f"/reports/attendance/student/{student2.pk}/{NOVEMBER}").content.decode()
    assert page.count('name="reason"') == 2  # the two absences can be explained
    reason = {"run": run.pk, "student": student2.pk, "reason": "family", "note": "отъезд", **{"period": "month"}}
    assert curator.post("/reports/attendance/reason/", reason).status_code == 302
    assert AbsenceReason.objects.get(run=run, student=student2).reason == "family"
    rows = csv_rows(curator.get(f"/reports/attendance/group/{seeded['group'].pk}/{NOVEMBER}&format=csv"))
    assert rows["student2"][5:7] == ["2", "2"]  # both absences excused now

    close = {"period": "month", "date": fortnight.DAY}
    assert curator.post(f"/reports/attendance/group/{seeded['group'].pk}/close/", close).status_code == 302
    assert ClosedPeriod.objects.filter(group=seeded["group"]).count() == 1
    assert AuditEvent.objects.filter(kind="reports.period_closed", actor=school["curator"]).exists()

    refused = {**reason, "reason": "unexcused"}
    curator.post("/reports/attendance/reason/", refused)
    assert AbsenceReason.objects.get(run=run, student=student2).reason == "family"  # unchanged
    assert curator.post("/reports/attendance/reason/", {**reason, "reason": ""}).status_code == 302
    assert AbsenceReason.objects.filter(run=run, student=student2).exists()  # nor cleared
    assert AuditEvent.objects.filter(kind="reports.edit_refused", subject=student2).count() == 2
    page = curator.get(f"/reports/attendance/student/{student2.pk}/{NOVEMBER}").content.decode()
    assert 'name="reason"' not in page
    group_page = curator.get(f"/reports/attendance/group/{seeded['group'].pk}/{NOVEMBER}").content.decode()
    assert "data-closed" in group_page


def test_the_current_period_cannot_be_closed(seeded, client_for):
    response = client_for("curator").post(f"/reports/attendance/group/{seeded['group'].pk}/close/", {"period": "term"})
    assert response.status_code == 302
    assert not ClosedPeriod.objects.exists()


@pytest.mark.parametrize(
    ("login", "sees", "does_not_see"),
    [
        ("director", ["/reports/activity/", "/reports/teachers/", "/reports/attendance/group/"], []),
        (
            "curator",
            ["/reports/activity/group/", "/reports/attendance/group/", "/reports/teachers/"],
            ['"/reports/activity/"'],
        ),
        ("teacher", ["/reports/attendance/group/", "/reports/teachers/"], ["/reports/activity/"]),
        (
            "parent",
            ["/reports/attendance/student/"],
            ["/reports/attendance/group/", "/reports/activity/", "/reports/teachers/"],
        ),
    ],
)
def test_the_index_lists_the_reports_each_role_may_open(seeded, client_for, login, sees, does_not_see):
    page = client_for(login).get("/reports/").content.decode()
    for link in sees:
        assert link in page, (login, link)
    for link in does_not_see:
        assert link not in page, (login, link)
    # and every page behind those links opens
    client = client_for(login)
    for href in set(re.findall(r'href="(/reports/[^"]+)"', page)):
        assert client.get(href + NOVEMBER.replace("?", "&" if "?" in href else "?")).status_code == 200, href


def test_proctor_has_no_reports(seeded, client_for):
    assert client_for("proctor").get("/reports/").status_code == 404


def test_closed_periods_are_read_only_in_the_admin(seeded, client_for, school):
    """The admin cannot quietly reopen a period: no delete, no change (closing and reasons are audited)."""
    ClosedPeriod.objects.create(group=seeded["group"], starts_on="2026-11-01", ends_on="2026-11-30")
    closed = ClosedPeriod.objects.get()
    admin = client_for("admin")
    assert admin.get("/admin/reports/closedperiod/").status_code == 200
    assert admin.post(f"/admin/reports/closedperiod/{closed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/reports/absencereason/").status_code == 200
    assert ClosedPeriod.objects.filter(pk=closed.pk).exists()
