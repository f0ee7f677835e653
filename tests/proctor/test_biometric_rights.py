"""Who controls consent and the reference photo (issue 11, points 2, 3, 9): a school photo is replaced by
staff only, never by a student's upload; a minor's consent comes from a linked parent; withdrawal deletes the
photo and its embedding at once; staff-made consent records, confirmations and identity attempts are audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from proctor import actions, enrollment, reference_gate
from proctor.models import BiometricConsent, ExamSession, ReferencePhoto
from proctor.quality import assess_file
from server.accounts.models import AuditEvent, User
from tests.exams.sessions import exam_session
from tests.support import paths

pytestmark = pytest.mark.django_db

ADULT = date(2000, 1, 1)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    reference_gate.CHECKS.buckets.clear()


def photo(relative: str = "faces/single/astronaut.png") -> bytes:
    return paths.testdata(relative).read_bytes()


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def school_photo(student: User, uploaded_by: User) -> ReferencePhoto:
    enrollment.record_consent(student, given_by=student)
    result = enrollment.enroll(student, photo(), uploaded_by=uploaded_by)
    assert result.photo is not None
    return result.photo


def test_a_student_cannot_replace_the_school_photo_or_upload_one(school, client_for, media_root) -> None:
    student = school["student"]
    kept = school_photo(student, uploaded_by=school["admin"])
    client = client_for(student)
    for query in ("", f"?student={student.pk}"):
        response = client.post(f"/proctor/reference/{query}", photo("video/other_person/reference.jpg"), "image/jpeg")
        assert response.status_code == 403
        assert response.json() == {"ok": False, "error": "эталонное фото загружает только сотрудник школы"}
    assert list(ReferencePhoto.objects.filter(student=student)) == [kept]
    assert stored_files(media_root) == [Path(kept.image.path)]

    ReferencePhoto.objects.all().delete()  # without a school photo either: students never upload
    response = client.post("/proctor/reference/", photo(), "image/jpeg")
    assert response.status_code == 403
    assert not ReferencePhoto.objects.exists()


def test_staff_replace_the_school_photo_off_the_request_thread_and_rate_limited(school, client_for) -> None:
    student, admin = school["student"], school["admin"]
    school_photo(student, uploaded_by=admin)
    client = client_for(admin)
    response = client.post(f"/proctor/reference/?student={student.pk}", photo("faces/multi/couple.jpg"), "image/jpeg")
    assert (response.status_code, response.json()["ok"]) == (400, False)
    response = client.post(f"/proctor/reference/?student={student.pk}", photo(), "image/jpeg")
    assert response.json() == {"ok": True}
    [replaced] = ReferencePhoto.objects.filter(student=student)
    assert (replaced.uploaded_by, replaced.needs_confirmation, replaced.from_school) == (admin, False, True)
    for _ in range(reference_gate.REFERENCE_CHECKS_PER_MINUTE - 2):
        client.post(f"/proctor/reference/?student={student.pk}", b"not a photo", "image/jpeg")
    response = client.post(f"/proctor/reference/?student={student.pk}", photo(), "image/jpeg")
    assert response.status_code == 429
    assert response.json()["error"].startswith("too many reference photo checks; retry in")


def test_a_student_takes_a_reference_only_without_one_and_it_waits_for_confirmation(school, media_root) -> None:
    student = school["student"]
    enrollment.record_consent(student, given_by=school["parent"])
    no_face = assess_file(paths.testdata("faces/none/brick.png"))
    assert enrollment.store_capture(student, no_face).photo is None  # the gate's refusal stores nothing
    taken = enrollment.store_capture(student, assess_file(photo())).photo
    assert taken is not None
    assert (taken.uploaded_by, taken.needs_confirmation, taken.from_school) == (student, True, False)
    with pytest.raises(enrollment.ReferenceExists):
        enrollment.store_capture(student, assess_file(photo("video/other_person/reference.jpg")))
    assert list(ReferencePhoto.objects.filter(student=student)) == [taken]


def test_the_proctor_sees_and_confirms_a_student_taken_reference(school, client_for) -> None:
    student = school["student"]
    session = exam_session(school, state="waiting_check", started_ago=None)
    enrollment.record_consent(student, given_by=school["parent"])
    taken = enrollment.store_capture(student, assess_file(photo())).photo
    dashboard = client_for("proctor").get(f"/proctor/exams/{session.exam_id}/dashboard/").content.decode()
    assert '"reference_url": "/proctor/sessions/0/reference.jpg"' in dashboard
    assert actions.reference_taken(session.pk)["reference_to_confirm"] is True

    for outsider in ("student", "student2", "parent", "teacher"):
        assert client_for(outsider).get(f"/proctor/sessions/{session.pk}/reference.jpg").status_code == 404
        assert client_for(outsider).post(f"/proctor/sessions/{session.pk}/reference/confirm/").status_code == 404
    shown = client_for("proctor").get(f"/proctor/sessions/{session.pk}/reference.jpg")
    assert (shown.status_code, shown["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(shown.streaming_content) == Path(taken.image.path).read_bytes()

    response = client_for("proctor").post(f"/proctor/sessions/{session.pk}/reference/confirm/")
    assert response.json() == {"ok": True, "reference_to_confirm": False}
    taken.refresh_from_db()
    assert (taken.needs_confirmation, taken.confirmed_by) == (False, school["proctor"])
    confirmed = AuditEvent.objects.get(kind="proctor.reference_confirmed")
    assert (confirmed.actor, confirmed.subject) == (school["proctor"], student)


def test_identity_checks_are_limited_per_session_and_audited(school) -> None:
    session = exam_session(school, state="waiting_check", started_ago=None)
    assert [actions.identity_attempt(session.pk) for _ in range(4)] == [True, True, True, False]
    events = AuditEvent.objects.filter(kind="proctor.identity_attempt").order_by("pk")
    assert [(e.subject, e.details) for e in events] == [
        (school["student"], {"session": session.pk, "attempt": n, "allowed": 3, "granted": n <= 3 and ok})
        for n, ok in ((1, True), (2, True), (3, True), (3, False))
    ]
    session.exam.policy = {"identity_attempts": 1}
    session.exam.save()
    other = ExamSession.objects.create(exam=session.exam, student=school["student2"])
    assert [actions.identity_attempt(other.pk) for _ in range(2)] == [True, False]


def test_an_interrupted_identity_check_gives_its_attempt_back(school) -> None:
    """A Wi-Fi drop during a check must not cost the student one of their attempts (the check decided nothing);
    a decided identity keeps its count, and the count never goes below zero."""
    session = exam_session(school, state="waiting_check", started_ago=None)
    assert [actions.identity_attempt(session.pk) for _ in range(3)] == [True, True, True]
    actions.identity_check_interrupted(session.pk)
    assert actions.identity_attempt(session.pk) is True  # the returned attempt, asked again after the resume
    assert actions.identity_attempt(session.pk) is False
    returned = AuditEvent.objects.get(kind="proctor.identity_attempt_returned")
    assert (returned.subject, returned.details) == (school["student"], {"session": session.pk, "used": 2})

    fresh = ExamSession.objects.create(exam=session.exam, student=school["student2"])
    actions.identity_check_interrupted(fresh.pk)
    fresh.refresh_from_db()
    assert fresh.identity_attempts == 0
    actions.identity_attempt(fresh.pk)
    ExamSession.objects.filter(pk=fresh.pk).update(identity=ExamSession.Identity.VERIFIED)
    actions.identity_check_interrupted(fresh.pk)  # a verdict was recorded: nothing to give back
    fresh.refresh_from_db()
    assert fresh.identity_attempts == 1


def consent_post(client, **fields: str):
    return client.post("/proctor/consent/", fields, HTTP_ACCEPT="application/json")


def test_a_minor_or_a_student_of_unknown_age_needs_a_linked_parents_consent(school, client_for) -> None:
    student = school["student"]
    for born in (None, timezone.localdate().replace(year=timezone.localdate().year - 17)):
        student.birth_date = born
        student.save()
        response = consent_post(client_for(student))
        assert response.status_code == 403
        assert response.json()["needs_parent"] is True
        assert not enrollment.has_consent(student)
        exam_id = exam_session(school, state="waiting_check", started_ago=None).exam_id
        assert client_for(student).get(f"/proctor/exams/{exam_id}/take/").status_code == 200
    # Another parent (not linked to this student) cannot consent for them.
    assert consent_post(client_for("parent2"), student=str(student.pk)).status_code == 404
    assert not enrollment.has_consent(student)

    assert consent_post(client_for("parent"), student=str(student.pk)).json() == {"ok": True}
    given = BiometricConsent.objects.get(student=student)
    assert given.given_by == school["parent"]
    event = AuditEvent.objects.get(kind="proctor.biometric_consent")
    assert (event.actor, event.subject, event.details["given_by"]) == (school["parent"], student, school["parent"].pk)

    adult = school["student3"]
    adult.birth_date = ADULT
    adult.save()
    assert consent_post(client_for(adult)).json() == {"ok": True}
    assert BiometricConsent.objects.get(student=adult).given_by == adult


def test_the_consent_page_lists_the_parents_children(school, client_for) -> None:
    page = client_for("parent").get("/proctor/consent/").content.decode()
    assert f'data-student="{school["student"].pk}" data-consent="0"' in page
    assert f'data-student="{school["student3"].pk}"' not in page  # parent2's child


def test_withdrawal_by_the_student_deletes_photo_and_embedding_at_once_and_is_audited(
    school, client_for, media_root
) -> None:
    student = school["student"]
    kept = school_photo(school["student2"], uploaded_by=school["admin"])  # another student's stays
    school_photo(student, uploaded_by=school["admin"])
    sitting = exam_session(school, state="waiting_check", started_ago=None)
    response = client_for(student).post("/proctor/consent/withdraw/")
    assert response.status_code == 302
    sitting.refresh_from_db()
    assert (sitting.state, sitting.end_reason) == ("ended", "no_consent")  # proctoring stops with the consent
    assert not ReferencePhoto.objects.filter(student=student).exists()
    assert enrollment.reference_embedding(student) is None
    assert stored_files(media_root) == [Path(kept.image.path)]
    assert not enrollment.has_consent(student)
    withdrawn = AuditEvent.objects.get(kind="proctor.biometric_consent_withdrawn")
    assert (withdrawn.actor, withdrawn.subject, withdrawn.details) == (student, student, {"photos": 1})


def test_consent_recorded_or_withdrawn_by_staff_in_the_admin_is_audited(school, client_for, media_root) -> None:
    student, admin = school["student"], school["admin"]
    client = client_for(admin)
    response = client.post(
        "/admin/proctor/biometricconsent/add/",
        {
            "student": student.pk,
            "given_by": school["parent"].pk,
            "given_at_0": "2026-12-01",
            "given_at_1": "10:00:00",
            "text_version": enrollment.CONSENT_TEXT_VERSION,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = BiometricConsent.objects.get(student=student)
    assert consent.given_by == school["parent"]
    event = AuditEvent.objects.get(kind="proctor.biometric_consent")
    assert (event.actor, event.subject, event.details["given_by"], event.details["source"]) == (
        admin,
        student,
        school["parent"].pk,
        "admin",
    )
    enrollment.enroll(student, photo(), uploaded_by=admin)
    response = client.post(
        f"/admin/proctor/biometricconsent/{consent.pk}/change/",
        {
            "student": student.pk,
            "given_by": school["parent"].pk,
            "text_version": enrollment.CONSENT_TEXT_VERSION,
            "withdrawn_at_0": "2026-12-02",
            "withdrawn_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not ReferencePhoto.objects.filter(student=student).exists()
    assert stored_files(media_root) == []
    withdrawn = AuditEvent.objects.get(kind="proctor.biometric_consent_withdrawn")
    assert (withdrawn.actor, withdrawn.subject) == (admin, student)


def test_the_student_never_sees_the_identity_score_before_review_nor_on_their_page(school, client_for) -> None:
    session = exam_session(school, state="waiting_check", started_ago=None)
    ExamSession.objects.filter(pk=session.pk).update(identity="verified", identity_score=0.4375, state="ended")
    client = client_for("student")
    [exported] = client.get("/proctor/my-data.json").json()["exam_sessions"]
    assert (exported["identity"], exported["identity_score"]) == ("verified", None)
    ExamSession.objects.filter(pk=session.pk).update(verdict="clean", verdict_by=school["proctor"])
    assert "4375" not in client.get(f"/proctor/sessions/{session.pk}/").content.decode()
    assert "4375" in client_for("proctor").get(f"/proctor/sessions/{session.pk}/").content.decode()
