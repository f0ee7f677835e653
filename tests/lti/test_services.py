"""LTI Advantage services against the test platform: the roster (NRPS) and grade passback (AGS)."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from lti.models import GradeSent, PlatformAccount
from proctor.models import Episode, ExamSession
from server.accounts.models import User
from tests.support.lti_platform import INSTRUCTOR, LEARNER, NRPS_SCOPE, SCORE_SCOPE, new_sub

from .conftest import launch, placed_exam


def _users(lms, subs: list[str]) -> list[User]:
    return [PlatformAccount.objects.get(platform__issuer=lms.issuer, sub=sub).user for sub in subs]


# --- Names and Role Provisioning -------------------------------------------------------------


def test_a_teachers_launch_brings_the_whole_roster_into_the_course_group(lms):
    placement = placed_exam(lms)
    anna, boris = new_sub(), new_sub()
    lms.enrol(anna, [LEARNER], given_name="Анна", family_name="Смирнова")
    lms.enrol(boris, [LEARNER], given_name="Борис", family_name="Орлов")
    teacher = new_sub()
    launch(Client(), lms, lms.claims(teacher, [INSTRUCTOR], custom={"placement": placement.token}))
    group = placement.course.group
    assert set(group.students.all()) == set(_users(lms, [anna, boris]))
    assert list(group.teachers.all()) == _users(lms, [teacher])
    assert [(u.first_name, u.last_name) for u in group.students.order_by("first_name")] == [
        ("Анна", "Смирнова"),
        ("Борис", "Орлов"),
    ]
    assert lms.token_requests[-1]["scope"] == NRPS_SCOPE
    placement.course.refresh_from_db()
    assert placement.course.synced_at is not None


def test_roster_changes_remove_dropped_and_inactive_people_but_never_those_the_school_added(lms):
    placement = placed_exam(lms)
    group = placement.course.group
    staying, dropped, suspended = new_sub(), new_sub(), new_sub()
    for sub in (staying, dropped, suspended):
        lms.enrol(sub, [LEARNER])
    teacher = new_sub()
    launch(Client(), lms, lms.claims(teacher, [INSTRUCTOR], custom={"placement": placement.token}))
    local = User.objects.create(username="added-by-hand")
    group.students.add(local)
    lms.members = [m for m in lms.members if m["user_id"] != dropped]
    lms.enrol(suspended, [LEARNER], status="Inactive")
    newcomer = new_sub()
    lms.enrol(newcomer, [LEARNER])
    call_command("lti_sync_rosters", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(group.students.all()) == {*_users(lms, [staying, newcomer]), local}
    assert list(group.teachers.all()) == _users(lms, [teacher])


def test_a_failing_roster_never_stops_the_teachers_launch(lms):
    placement = placed_exam(lms)
    lms.tool_key_set = {"keys": []}  # the platform no longer trusts our key: the token request fails
    response = launch(Client(), lms, lms.claims(new_sub(), [INSTRUCTOR], custom={"placement": placement.token}))
    assert response["Location"] == f"/proctor/exams/{placement.exam.pk}/dashboard/"
    placement.course.refresh_from_db()
    assert placement.course.synced_at is None


# --- Assignment and Grade Services -----------------------------------------------------------


def _reviewable(lms, django_capture_on_commit_callbacks, **placement_options):
    """A placed exam, an instructor (its reviewer) and a learner with an ended session, all launched."""
    placement = placed_exam(lms, **placement_options)
    lineitem = lms.url + "/lineitems/7"
    teacher, learner = Client(), new_sub()
    launch(teacher, lms, lms.claims(new_sub(), [INSTRUCTOR], custom={"placement": placement.token}, lineitem=lineitem))
    launch(Client(), lms, lms.claims(learner, [LEARNER], custom={"placement": placement.token}, lineitem=lineitem))
    student = _users(lms, [learner])[0]
    session = ExamSession.objects.create(
        exam=placement.exam, student=student, state=ExamSession.State.ENDED, ended_at=timezone.now()
    )
    return teacher, session, learner, lineitem


def _review(teacher: Client, session: ExamSession, verdict: str, capture) -> None:
    with capture(execute=True):
        response = teacher.post(f"/proctor/sessions/{session.pk}/verdict/", {"verdict": verdict})
    assert response.status_code == 302


def test_after_review_the_verdict_reaches_the_lms_gradebook(lms, django_capture_on_commit_callbacks):
    teacher, session, learner, lineitem = _reviewable(lms, django_capture_on_commit_callbacks)
    _review(teacher, session, "clean", django_capture_on_commit_callbacks)
    [score] = lms.scores
    assert {k: v for k, v in score.items() if k != "timestamp"} == {
        "lineitem": lineitem,
        "userId": learner,
        "scoreGiven": 100,
        "scoreMaximum": 100,
        "comment": "Прокторинг: нарушений нет.",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    assert lms.token_requests[-1]["scope"] == SCORE_SCOPE
    sent = GradeSent.objects.get(session=session)
    assert (sent.score, sent.error, sent.sent_at is not None) == (100, "", True)


def test_the_credibility_score_is_sent_when_the_exam_asks(lms, django_capture_on_commit_callbacks):
    teacher, session, _, _ = _reviewable(lms, django_capture_on_commit_callbacks, send_credibility=True)
    Episode.objects.create(
        session=session, kind="multiple_faces", started_at=timezone.now(), review=Episode.Review.CONFIRMED
    )
    _review(teacher, session, "warning", django_capture_on_commit_callbacks)
    [score] = lms.scores
    assert (score["scoreGiven"], score["comment"]) == (75, "Прокторинг: замечание. Достоверность: 75 из 100.")


def test_an_annulled_result_scores_zero_and_a_new_verdict_sends_again(lms, django_capture_on_commit_callbacks):
    teacher, session, _, _ = _reviewable(lms, django_capture_on_commit_callbacks, send_credibility=True)
    _review(teacher, session, "annulled", django_capture_on_commit_callbacks)
    _review(teacher, session, "clean", django_capture_on_commit_callbacks)
    assert [(s["scoreGiven"], s["comment"]) for s in lms.scores] == [
        (0, "Прокторинг: результат аннулирован."),
        (100, "Прокторинг: нарушений нет. Достоверность: 100 из 100."),
    ]


def test_a_grade_the_platform_refuses_is_recorded_with_its_error(lms, django_capture_on_commit_callbacks):
    teacher, session, _, _ = _reviewable(lms, django_capture_on_commit_callbacks)
    lms.tool_key_set = {"keys": []}
    _review(teacher, session, "clean", django_capture_on_commit_callbacks)
    sent = GradeSent.objects.get(session=session)
    assert (lms.scores, sent.sent_at, bool(sent.error)) == ([], None, True)


def test_exams_not_placed_from_an_lms_send_nothing(lms, school, django_capture_on_commit_callbacks):
    from proctor import review

    placement = placed_exam(lms)
    session = ExamSession.objects.create(exam=placement.exam, student=school["student"])
    placement.delete()  # the exam stays, set by hand as before LTI
    with django_capture_on_commit_callbacks(execute=True):
        review.set_verdict(session, "clean", school["admin"])
    assert (lms.scores, GradeSent.objects.count()) == ([], 0)
