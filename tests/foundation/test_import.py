"""Issuing logins from CSV: all-or-nothing, row-level errors, both encodings, printable sheet."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from server.accounts.models import AuditEvent, Role, User
from server.school.models import ParentLink

GOOD = """role;full_name;group;parent_of;email
ученик;Кузнецов Артём Ильич;9А;;
ученик;Орлова Дарья Сергеевна;9А;;dasha@example.ru
родитель;Кузнецова Ирина Львовна;;Кузнецов Артём Ильич;irina@example.ru
родитель;Кузнецов Илья Петрович;;Кузнецов Артём Ильич;
"""


def upload(client: Client, text: str, encoding: str = "utf-8", name: str = "list.csv"):
    data = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    return client.post("/accounts/import/", {"file": data})


def user_count() -> int:
    return User.objects.count()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
def test_good_file_creates_logins_and_sheet(school, client_for, encoding):
    before = user_count()
    response = upload(client_for("curator"), GOOD, encoding)
    assert response.status_code == 200
    assert user_count() == before + 4
    artem = User.objects.get(last_name="Кузнецов", first_name="Артём")
    assert artem.username == "kuznetsov.ai"
    assert artem.must_change_password
    assert artem.has_role(Role.STUDENT)
    assert artem.study_groups.get().name == "9А"
    assert ParentLink.objects.filter(child=artem).count() == 2  # two parents
    page = response.content.decode()
    assert "kuznetsov.ai" in page
    sheet = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1)).decode()
    assert sheet.startswith("\ufeffФИО;")
    password = next(line for line in sheet.splitlines() if "kuznetsov.ai" in line).split(";")[-1]
    assert len(password) == 10
    assert artem.check_password(password)
    assert AuditEvent.objects.filter(kind="accounts.import", actor=school["curator"]).exists()


def test_one_time_password_must_be_changed_at_first_login(school, client_for):
    page = upload(client_for("admin"), GOOD).content.decode()
    password = re.search(r"<code>orlova\.ds</code></td><td><code>([^<]+)</code>", page).group(1)
    client = Client()
    assert client.post("/accounts/login/", {"username": "orlova.ds", "password": password}).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"
    response = client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": "Zv3zdnoe-Nebo-42", "new_password2": "Zv3zdnoe-Nebo-42"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not User.objects.get(username="orlova.ds").must_change_password


BAD_FILES = [
    ("missing column", "full_name;group\nИванов Пётр;9А\n", 1, "Нет обязательных столбцов"),
    ("unknown group", "role;full_name;group\nученик;Пестов Олег;11В\n", 2, "неизвестная группа"),
    (
        "duplicate in file",
        "role;full_name;group\nученик;Пестов Олег;9А\nученик;Пестов Олег;9А\n",
        3,
        "повтор строки",
    ),
    ("already exists", "role;full_name;group\nученик;Иванов Иван Петрович;9А\n", 2, "уже есть"),
    ("bad role", "role;full_name;group\nдиректор;Пестов Олег;9А\n", 2, "роль должна быть"),
    ("no group for student", "role;full_name;group\nученик;Пестов Олег;\n", 2, "нужна группа"),
    ("unknown child", "role;full_name;group;parent_of\nродитель;Пестова Анна;;Никто Никтович\n", 2, "не найден"),
    ("bad email", "role;full_name;group;email\nученик;Пестов Олег;9А;not-an-email\n", 2, "e-mail"),
    ("header only", "role;full_name;group\n", 2, "нет ни одной строки"),
]


@pytest.mark.parametrize(("case", "text", "line", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_reports_row_and_creates_nothing(school, client_for, case, text, line, message):
    # a good row first: all-or-nothing means it must not be created either
    lines = text.splitlines()
    if len(lines) > 1 and case not in {"missing column"}:
        header = lines[0].split(";")
        good = {"role": "ученик", "full_name": "Хорошев Добрыня", "group": "9А"}
        lines.insert(1, ";".join(good.get(column, "") for column in header))
        line += 1
        text = "\n".join(lines) + "\n"
    before = user_count()
    response = upload(client_for("admin"), text)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f"<td>{line}</td>" in page
    assert user_count() == before
    assert not User.objects.filter(last_name="Хорошев").exists()


def test_undecodable_file_is_rejected(school, client_for):
    data = SimpleUploadedFile("list.csv", b"role;full_name\n\x00\x01\x02\xff\xfe", content_type="text/csv")
    response = client_for("admin").post("/accounts/import/", {"file": data})
    assert response.status_code == 400
    assert "кодировка" in response.content.decode()


def test_curator_cannot_import_into_another_group(school, client_for):
    before = user_count()
    response = upload(client_for("curator"), "role;full_name;group\nученик;Пестов Олег;10Б\n")
    assert response.status_code == 400
    assert "нет прав на группу" in response.content.decode()
    assert user_count() == before


def test_parent_of_existing_student_by_login(school, client_for):
    response = upload(client_for("admin"), "role,full_name,parent_of\nродитель,Петров Андрей Юрьевич,student2\n")
    assert response.status_code == 200
    parent = User.objects.get(last_name="Петров", first_name="Андрей")
    assert list(parent.child_links.values_list("child__username", flat=True)) == ["student2"]
