"""`seed_demo`: the demo school with every feature's demo data, created once."""

from __future__ import annotations

import io

from django.core.management import call_command

from lessons.models import Lesson
from proctor.models import Exam, ReferencePhoto
from server.accounts.models import Role, User
from server.school.demo import DEMO_USERS
from server.school.models import ParentLink, StudyGroup


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_school_has_every_role_and_is_created_once(db):
    output = seed()
    assert "Demo school created." in output
    for role in Role.values:
        assert User.objects.filter(role_set__role=role).exists(), role
    assert set(StudyGroup.objects.values_list("name", flat=True)) == {"9А", "10Б"}
    assert ParentLink.objects.filter(parent__username="parent", child__username="student").exists()
    for demo in DEMO_USERS:  # the documented logins work
        assert User.objects.get(username=demo.username).check_password(demo.password)
    assert "student    student-demo" in output
    # reference photos from ../shared/testdata, with consent recorded first
    assert ReferencePhoto.objects.filter(student__username__in=["student", "student2", "student3"]).count() == 3
    assert Exam.objects.filter(group__name="9А", proctors__username="proctor").count() == 1
    assert Lesson.objects.exists()

    counts = (User.objects.count(), ReferencePhoto.objects.count(), Exam.objects.count(), Lesson.objects.count())
    assert "Demo school already present." in seed()
    assert counts == (
        User.objects.count(),
        ReferencePhoto.objects.count(),
        Exam.objects.count(),
        Lesson.objects.count(),
    )
