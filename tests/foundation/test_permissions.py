"""What each role can and cannot see, over HTTP (and the helpers behind it)."""

from __future__ import annotations

import pytest

from server.school import access
from server.school.models import StudyGroup


def group(name: str) -> StudyGroup:
    return StudyGroup.objects.get(name=name)


# (viewer, student, visible?) – parent A sees own child only, teachers/curators own groups.
STUDENT_MATRIX = [
    ("parent", "student", True),
    ("parent", "student2", False),
    ("parent", "student3", False),
    ("parent2", "student3", True),
    ("parent2", "student", False),
    ("student", "student", True),
    ("student", "student2", False),
    ("teacher", "student", True),
    ("teacher", "student3", False),
    ("teacher2", "student3", True),
    ("curator", "student2", True),
    ("curator", "student3", False),
    ("proctor", "student", False),
    ("director", "student3", True),
    ("admin", "student3", True),
]


@pytest.mark.parametrize(("viewer", "student", "visible"), STUDENT_MATRIX)
def test_student_page(school, client_for, viewer, student, visible):
    response = client_for(viewer).get(f"/school/students/{school[student].pk}/")
    assert response.status_code == (200 if visible else 404)
    assert access.can_view_student(school[viewer], school[student]) is visible


GROUP_MATRIX = [
    ("teacher", "9А", True),
    ("teacher", "10Б", False),
    ("curator2", "10Б", True),
    ("curator2", "9А", False),
    ("student", "9А", True),
    ("student", "10Б", False),
    ("parent", "9А", True),
    ("parent", "10Б", False),
    ("proctor", "9А", False),
    ("director", "10Б", True),
]


@pytest.mark.parametrize(("viewer", "group_name", "visible"), GROUP_MATRIX)
def test_group_page(school, client_for, viewer, group_name, visible):
    response = client_for(viewer).get(f"/school/groups/{group(group_name).pk}/")
    assert response.status_code == (200 if visible else 404)
    listing = client_for(viewer).get("/school/groups/").content.decode()
    assert (f'href="/school/groups/{group(group_name).pk}/"' in listing) is visible


def test_group_page_lists_only_visible_students(school, client_for):
    page = client_for("parent").get(f"/school/groups/{group('9А').pk}/").content.decode()
    assert school["student"].full_name in page
    assert school["student2"].full_name not in page  # a classmate is not the parent's business


PARENT_MATRIX = [
    ("curator", "parent", True),  # curator of the child's group
    ("curator2", "parent", False),
    ("teacher", "parent", True),
    ("teacher", "parent2", False),
    ("parent", "parent", True),
    ("parent", "parent2", False),
    ("student", "parent", False),
    ("student3", "parent2", False),
    ("director", "parent2", True),
]


@pytest.mark.parametrize(("viewer", "parent", "visible"), PARENT_MATRIX)
def test_parent_page(school, client_for, viewer, parent, visible):
    response = client_for(viewer).get(f"/school/parents/{school[parent].pk}/")
    assert response.status_code == (200 if visible else 404)


def test_director_reads_admin_but_cannot_edit(school, client_for):
    director = client_for("director")
    student = school["student"]
    assert director.get("/admin/accounts/user/").status_code == 200
    assert director.get(f"/admin/accounts/user/{student.pk}/change/").status_code == 200
    response = director.post(f"/admin/accounts/user/{student.pk}/change/", {"username": "hacked", "last_name": "X"})
    assert response.status_code == 403
    assert director.get("/admin/school/studygroup/add/").status_code == 403
    student.refresh_from_db()
    assert student.username == "student"


def test_admin_edits_and_others_are_kept_out_of_admin(school, client_for):
    assert client_for("admin").get("/admin/school/studygroup/add/").status_code == 200
    for username in ("teacher", "curator", "student", "parent", "proctor"):
        response = client_for(username).get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_import_page_only_for_admin_and_curators(school, client_for):
    assert client_for("curator").get("/accounts/import/").status_code == 200
    assert client_for("admin").get("/accounts/import/").status_code == 200
    for username in ("teacher", "student", "parent", "director", "proctor"):
        assert client_for(username).get("/accounts/import/").status_code == 403


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("username", "must_see", "must_not_see"),
    [
        ("student", ["Мои группы"], ["Выдать логины", "Администрирование"]),
        ("curator", ["Выдать логины", "Мои группы"], ["Администрирование"]),
        ("director", ["Администрирование"], ["Выдать логины"]),
        ("parent", ["Иванов Иван Петрович", "Ближайшие уроки"], ["Выдать логины"]),
    ],
)
def test_home_page_is_role_aware(school, client_for, username, must_see, must_not_see):
    page = client_for(username).get("/").content.decode()
    for text in must_see:
        assert text in page
    for text in must_not_see:
        assert text not in page
