"""Deep Linking 2.0: a course teacher places a proctored exam or a lesson, and the LMS gets a signed link."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.test import Client
from django.utils import timezone

from lessons.models import Lesson
from lti.models import Placement, PlatformAccount
from proctor.models import Exam
from tests.support.lti_platform import INSTRUCTOR, LEARNER, new_sub

from .conftest import launch, placed_exam

DEEP_LINKING = "LtiDeepLinkingRequest"
ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _answer(response) -> tuple[str, str]:
    page = response.content.decode().split('id="deep-link-return"', 1)[0].rsplit("<form", 1)[1]
    action = unescape(re.search(r'action="([^"]+)"', page).group(1))
    rest = response.content.decode().split('id="deep-link-return"', 1)[1]
    token = re.search(r'name="JWT" value="([^"]+)"', rest).group(1)
    return action, token


def _teacher_at_form(lms) -> tuple[Client, str, str]:
    client, sub = Client(), new_sub()
    response = launch(client, lms, lms.claims(sub, [INSTRUCTOR], message_type=DEEP_LINKING))
    assert response.status_code == 302
    assert response["Location"].startswith("/lti/deep-link/")
    assert client.get(response["Location"]).status_code == 200
    return client, response["Location"], sub


def test_deep_linking_round_trip_creates_a_proctored_exam_and_a_signed_link_that_launches_it(lms):
    client, form_url, sub = _teacher_at_form(lms)
    opens = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    answer = client.post(
        form_url,
        {
            "kind": "exam",
            "title": "Зачёт по механике",
            "starts_at": _local(opens),
            "closes_at": _local(opens + timedelta(hours=2)),
            "duration_minutes": 40,
            "preset": "strict",
            "lms_url": "https://moodle.example/mod/quiz/view.php?id=12",
            "quiz_password": "k7-mech",
            "send_credibility": "on",
        },
    )
    assert answer.status_code == 200
    action, token = _answer(answer)
    assert action == lms.url + "/deep_link_return"
    assert lms.url in answer["Content-Security-Policy"].split("form-action", 1)[1].split(";")[0]
    message = lms.verify_from_tool(token, audience=lms.issuer)
    placement = Placement.objects.select_related("exam", "course__group").get()
    teacher = PlatformAccount.objects.get(sub=sub).user
    exam = placement.exam
    assert message["iss"] == lms.client_id
    assert message["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert message[ITEMS] == [
        {
            "type": "ltiResourceLink",
            "title": "Зачёт по механике",
            "url": "http://testserver/lti/launch/",
            "custom": {"placement": placement.token},
            "lineItem": {"scoreMaximum": 100, "label": "Зачёт по механике"},
        }
    ]
    assert (exam.title, exam.group, exam.duration_minutes, exam.policy, exam.lms_url, exam.created_by) == (
        "Зачёт по механике",
        placement.course.group,
        40,
        {"sensitivity": "high"},
        "https://moodle.example/mod/quiz/view.php?id=12",
        teacher,
    )
    assert (exam.opens_at, list(exam.proctors.all()), placement.send_credibility) == (opens, [teacher], True)
    assert exam.materials == "Пароль теста в LMS: k7-mech"  # released with the quiz, to a running attempt only
    learner = launch(Client(), lms, lms.claims(new_sub(), [LEARNER], custom=message[ITEMS][0]["custom"]))
    assert learner["Location"] == f"/proctor/exams/{exam.pk}/take/"


def test_deep_linking_places_a_video_lesson(lms):
    client, form_url, sub = _teacher_at_form(lms)
    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(days=1)
    answer = client.post(
        form_url,
        {"kind": "lesson", "title": "Разбор контрольной", "starts_at": _local(starts), "duration_minutes": 45},
    )
    message = lms.verify_from_tool(_answer(answer)[1], audience=lms.issuer)
    lesson = Lesson.objects.get()
    assert (lesson.title, lesson.starts_at, lesson.teacher.lti_accounts.get().sub) == (
        "Разбор контрольной",
        starts,
        sub,
    )
    assert "lineItem" not in message[ITEMS][0]
    assert Exam.objects.count() == 0


def test_an_exam_needs_its_lms_quiz_and_a_window_that_closes_after_it_opens(lms):
    client, form_url, _ = _teacher_at_form(lms)
    opens = timezone.now()
    response = client.post(
        form_url,
        {"kind": "exam", "title": "X", "starts_at": _local(opens), "closes_at": _local(opens), "duration_minutes": 30},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"lms_url", "closes_at"}
    assert Placement.objects.count() == 0


def test_the_deep_linking_form_keeps_csrf_protection(lms):
    client, form_url, _ = _teacher_at_form(lms)
    guarded = Client(enforce_csrf_checks=True)
    guarded.cookies = client.cookies
    response = guarded.post(form_url, {"kind": "lesson", "title": "X", "starts_at": "2030-01-01T10:00"})
    assert response.status_code == 403
    assert Placement.objects.count() == 0


def test_another_signed_in_user_cannot_use_a_teachers_deep_linking_launch(lms):
    _, form_url, _ = _teacher_at_form(lms)
    learner = Client()
    placement = placed_exam(lms)
    assert (
        launch(learner, lms, lms.claims(new_sub(), [LEARNER], custom={"placement": placement.token})).status_code == 302
    )
    response = learner.get(form_url)  # a signed-in learner (another browser) trying the teacher's launch id
    assert (response.status_code, 'data-code="state"' in response.content.decode()) == (400, True)
    assert Placement.objects.count() == 1  # the learner's exam only
