"""Resource-link launches from the test platform: who the person becomes and where they land."""

from __future__ import annotations

import pytest
from django.test import Client

from lti.models import PlatformAccount
from server.accounts.models import Role, User
from tests.support.lti_platform import ADMINISTRATOR, INSTRUCTOR, LEARNER, MENTOR, new_sub

from .conftest import launch, placed_exam


def _user(platform, sub: str) -> User:
    return PlatformAccount.objects.get(platform__issuer=platform.issuer, sub=sub).user


def test_learner_launch_lands_in_the_proctored_exam_as_a_student_of_the_course_group(lms):
    placement = placed_exam(lms)
    sub, client = new_sub(), Client()
    response = launch(client, lms, lms.claims(sub, [LEARNER], custom={"placement": placement.token}, given_name="Анна"))
    assert response.status_code == 302
    assert response["Location"] == f"/proctor/exams/{placement.exam.pk}/take/"
    user = _user(lms, sub)
    assert (user.first_name, user.roles, user.has_usable_password()) == ("Анна", frozenset({Role.STUDENT}), False)
    assert list(placement.course.group.students.all()) == [user]
    assert client.get(response["Location"]).status_code == 200  # signed in: the exam page opens
    # and no more than a student: not the exam's dashboard, its report, nor the admin
    assert client.get(f"/proctor/exams/{placement.exam.pk}/dashboard/").status_code == 404
    assert client.get(f"/proctor/exams/{placement.exam.pk}/report/").status_code == 404
    assert client.get("/admin/").status_code == 302


def test_instructor_launch_lands_in_the_exam_dashboard_and_supervises_it(lms):
    placement = placed_exam(lms)
    sub, client = new_sub(), Client()
    response = launch(client, lms, lms.claims(sub, [INSTRUCTOR], custom={"placement": placement.token}))
    assert response["Location"] == f"/proctor/exams/{placement.exam.pk}/dashboard/"
    user = _user(lms, sub)
    assert user.roles == frozenset({Role.TEACHER})
    assert list(placement.course.group.teachers.all()) == [user]
    assert list(placement.exam.proctors.all()) == [user]
    assert client.get(response["Location"]).status_code == 200


def test_lesson_placement_opens_the_lesson_room_for_learners(lms):
    from datetime import timedelta

    from django.utils import timezone

    from lessons.models import Lesson
    from lti.models import Placement

    exam_placement = placed_exam(lms)
    teacher = User.objects.create(username="course-teacher")
    lesson = Lesson.objects.create(
        title="Разбор задач",
        group=exam_placement.course.group,
        teacher=teacher,
        starts_at=timezone.now() + timedelta(hours=1),
    )
    placement = Placement.objects.create(course=exam_placement.course, lesson=lesson)
    response = launch(Client(), lms, lms.claims(new_sub(), [LEARNER], custom={"placement": placement.token}))
    assert response["Location"] == f"/lessons/{lesson.pk}/"


def test_administrator_becomes_curator_of_the_course_group_never_a_school_administrator(lms):
    placement = placed_exam(lms)
    sub = new_sub()
    system_admin = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
    launch(Client(), lms, lms.claims(sub, [ADMINISTRATOR, system_admin], custom={"placement": placement.token}))
    user = _user(lms, sub)
    assert user.roles == frozenset({Role.CURATOR})
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert list(placement.course.group.curators.all()) == [user]


@pytest.mark.parametrize(
    ("mentor_role", "roles"), [("parent", frozenset({Role.PARENT})), ("curator", frozenset({Role.CURATOR}))]
)
def test_mentor_becomes_what_the_platform_registration_says(lms, mentor_role, roles):
    from server.school.models import ParentLink

    lms.registered.mentor_role = mentor_role
    lms.registered.save()
    placement = placed_exam(lms)
    child = new_sub()
    launch(Client(), lms, lms.claims(child, [LEARNER], custom={"placement": placement.token}))
    mentor = new_sub()
    claims = lms.claims(mentor, [MENTOR], custom={"placement": placement.token})
    claims["https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor"] = [child]
    response = launch(Client(), lms, claims)
    user = _user(lms, mentor)
    assert user.roles == roles
    linked = list(ParentLink.objects.filter(parent=user).values_list("child", flat=True))
    assert linked == ([_user(lms, child).pk] if mentor_role == "parent" else [])
    assert response.status_code == 302


def test_mentor_without_a_mapping_and_unknown_roles_are_refused_with_a_page(lms):
    placement = placed_exam(lms)
    teaching_assistant = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    for roles in ([MENTOR], [teaching_assistant], []):
        sub = new_sub()
        response = launch(Client(), lms, lms.claims(sub, roles, custom={"placement": placement.token}))
        assert response.status_code == 403
        assert 'data-code="role"' in response.content.decode()
        assert not PlatformAccount.objects.filter(sub=sub).exists()


def test_a_person_is_found_by_platform_and_sub_never_by_name(lms):
    placement = placed_exam(lms)
    local = User.objects.create(username="ivanov", first_name="Иван", last_name="Иванов")
    sub = new_sub()
    claims = lms.claims(sub, [LEARNER], custom={"placement": placement.token}, given_name="Иван", family_name="Иванов")
    launch(Client(), lms, claims)
    first = _user(lms, sub)
    assert first != local
    renamed = lms.claims(sub, [LEARNER], custom={"placement": placement.token}, given_name="Ваня", family_name="Иванов")
    launch(Client(), lms, renamed)
    assert (_user(lms, sub).pk, _user(lms, sub).first_name) == (first.pk, "Ваня")
    assert User.objects.filter(last_name="Иванов").count() == 2


def test_a_learner_made_instructor_stops_being_a_student_of_the_group(lms):
    placement = placed_exam(lms)
    sub = new_sub()
    launch(Client(), lms, lms.claims(sub, [LEARNER], custom={"placement": placement.token}))
    launch(Client(), lms, lms.claims(sub, [INSTRUCTOR], custom={"placement": placement.token}))
    group, user = placement.course.group, _user(lms, sub)
    assert (list(group.students.all()), list(group.teachers.all())) == ([], [user])


def test_a_link_token_from_another_course_launches_nothing(lms):
    placement = placed_exam(lms)
    lms.context_id = "course-202"
    response = launch(Client(), lms, lms.claims(new_sub(), [LEARNER], custom={"placement": placement.token}))
    assert response.status_code == 404
    assert 'data-code="placement"' in response.content.decode()


def test_a_teacher_dropped_from_the_course_stops_supervising_its_exam(lms):
    placement = placed_exam(lms)
    teacher, client = new_sub(), Client()
    launch(client, lms, lms.claims(teacher, [INSTRUCTOR], custom={"placement": placement.token}))
    dashboard = f"/proctor/exams/{placement.exam.pk}/dashboard/"
    assert client.get(dashboard).status_code == 200
    colleague = new_sub()
    lms.members = [m for m in lms.members if m["user_id"] != teacher]
    launch(Client(), lms, lms.claims(colleague, [INSTRUCTOR], custom={"placement": placement.token}))  # syncs
    assert list(placement.exam.proctors.all()) == [_user(lms, colleague)]
    assert client.get(dashboard).status_code == 404


def test_a_person_the_school_deactivated_is_refused(lms):
    placement = placed_exam(lms)
    sub = new_sub()
    launch(Client(), lms, lms.claims(sub, [LEARNER], custom={"placement": placement.token}))
    User.objects.filter(pk=_user(lms, sub).pk).update(is_active=False)
    client = Client()
    response = launch(client, lms, lms.claims(sub, [LEARNER], custom={"placement": placement.token}))
    assert (response.status_code, 'data-code="inactive"' in response.content.decode()) == (403, True)
    assert "_auth_user_id" not in client.session


def test_simple_context_role_names_map_like_their_full_uris(lms):
    from lti.roles import CourseRole, course_roles

    assert course_roles(["Learner", "Instructor"], lms.registered) == {CourseRole.STUDENT, CourseRole.TEACHER}
    assert course_roles(["Mentor", "urn:lti:role:ims/lis/TeachingAssistant"], lms.registered) == frozenset()
