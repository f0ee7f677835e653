"""Object-level permissions over HTTP: an unassigned proctor sees nothing of the exam, a student sees only
their own session (and its timeline only after review), evidence URLs are random and checked."""

from __future__ import annotations

import re

from django.test import Client

from proctor.models import Episode, Exam
from server.school.models import StudyGroup


def test_unassigned_proctor_sees_nothing_of_the_exam(world, client_for):
    exam, session, episode = world["exam"], world["session"], world["episode"]
    outsider = client_for(world["users"]["proctor2"])
    assert "Физика" not in outsider.get("/proctor/").content.decode()
    for url in (
        f"/proctor/exams/{exam.pk}/dashboard/",
        f"/proctor/exams/{exam.pk}/report/",
        f"/proctor/exams/{exam.pk}/report.csv",
        f"/proctor/exams/{exam.pk}/report.pdf",
        f"/proctor/sessions/{session.pk}/",
        f"/proctor/evidence/{episode.evidence_token}/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/proctor/episodes/{episode.pk}/review/", {"decision": "confirmed"}).status_code == 404
    assert outsider.post(f"/proctor/sessions/{session.pk}/verdict/", {"verdict": "annulled"}).status_code == 404
    episode.refresh_from_db()
    assert episode.review == Episode.Review.PENDING

    assigned = client_for(world["users"]["proctor"])
    assert "Физика" in assigned.get("/proctor/").content.decode()
    assert assigned.get(f"/proctor/exams/{exam.pk}/dashboard/").status_code == 200
    assert assigned.get(f"/proctor/evidence/{episode.evidence_token}/").status_code == 200


def test_student_sees_only_their_own_session_and_evidence_after_review(world, client_for):
    session, episode = world["session"], world["episode"]
    other = client_for(world["users"]["student2"])
    assert other.get(f"/proctor/sessions/{session.pk}/").status_code == 404
    assert other.get(f"/proctor/evidence/{episode.evidence_token}/").status_code == 404
    assert other.post(f"/proctor/episodes/{episode.pk}/comment/", {"comment": "x"}).status_code == 404
    assert other.get(f"/proctor/exams/{world['exam'].pk}/report.csv").status_code == 404

    own = client_for(world["users"]["student"])
    assert "ещё не проверил" in own.get(f"/proctor/sessions/{session.pk}/").content.decode()
    assert own.get(f"/proctor/evidence/{episode.evidence_token}/").status_code == 404  # not before review
    assert own.post(f"/proctor/episodes/{episode.pk}/review/", {"decision": "dismissed"}).status_code == 404

    proctor = client_for(world["users"]["proctor"])
    assert proctor.post(f"/proctor/episodes/{episode.pk}/review/", {"decision": "confirmed"}).status_code == 302
    assert proctor.post(f"/proctor/sessions/{session.pk}/verdict/", {"verdict": "warning"}).status_code == 302
    page = own.get(f"/proctor/sessions/{session.pk}/").content.decode()
    assert "Балл доверия" in page
    assert "75" in page  # 100 - 25 for the confirmed multiple_faces
    response = own.get(f"/proctor/evidence/{episode.evidence_token}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_evidence_urls_are_random_and_guesses_find_nothing(world, client_for):
    episode = world["episode"]
    assert len(episode.evidence_token) >= 22  # 128 random bits, url-safe
    proctor = client_for(world["users"]["proctor"])
    near_miss = episode.evidence_token[:-1] + ("B" if episode.evidence_token[-1] == "A" else "A")
    for guess in (str(episode.pk), near_miss, "..%2F..%2Fsecret_key"):
        assert proctor.get(f"/proctor/evidence/{guess}/").status_code == 404
    anonymous = Client()
    assert anonymous.get(f"/proctor/evidence/{episode.evidence_token}/").status_code == 302  # to the login page


def test_review_decisions_and_verdicts_are_validated_and_audited(world, client_for):
    from server.accounts.models import AuditEvent

    episode, session = world["episode"], world["session"]
    proctor = client_for(world["users"]["proctor"])
    assert proctor.post(f"/proctor/episodes/{episode.pk}/review/", {"decision": "maybe"}).status_code == 400
    assert proctor.post(f"/proctor/sessions/{session.pk}/verdict/", {"verdict": "guilty"}).status_code == 400
    response = proctor.post(
        f"/proctor/episodes/{episode.pk}/review/",
        {"decision": "dismissed", "comment": "Брат зашёл в комнату"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True, "review": "dismissed", "episodes": [episode.pk]}
    entry = AuditEvent.objects.get(kind="proctor.episode_reviewed")
    assert entry.actor.username == "proctor"
    assert entry.details["decision"] == "dismissed"
    episode.refresh_from_db()
    assert episode.reviewer.username == "proctor"
    assert episode.reviewed_at is not None


def test_teacher_sets_an_exam_for_their_group_only(world, client_for):
    users = world["users"]
    teacher = client_for(users["teacher"])  # teaches 9А only
    group_9a = StudyGroup.objects.get(name="9А")
    group_10b = StudyGroup.objects.get(name="10Б")
    form = {
        "title": "Химия",
        "opens_at": "2026-12-01T09:00",
        "closes_at": "2026-12-01T11:00",
        "duration_minutes": "45",
        "proctors": [users["proctor"].pk],
        "materials": "Задачи 1–5",
        "policy": '{"sensitivity": "high"}',
    }
    assert teacher.post("/proctor/exams/new/", {**form, "group": group_10b.pk}).status_code == 200  # refused
    bad_policy = {**form, "group": group_9a.pk, "policy": '{"nope": 1}'}
    assert teacher.post("/proctor/exams/new/", bad_policy).status_code == 200
    assert not Exam.objects.filter(title="Химия").exists()
    assert teacher.post("/proctor/exams/new/", {**form, "group": group_9a.pk}).status_code == 302
    exam = Exam.objects.get(title="Химия")
    assert exam.created_by == users["teacher"]
    assert exam.policy == {"sensitivity": "high"}
    assert list(exam.proctors.all()) == [users["proctor"]]
    assert client_for(users["student"]).get("/proctor/exams/new/").status_code == 404
    assert client_for(users["proctor"]).get("/proctor/exams/new/").status_code == 404


def test_comment_fields_take_their_length_limit_from_the_server(world, client_for, monkeypatch):
    """The page's maxlength is the limit the view enforces, not a copy typed into the template."""
    monkeypatch.setattr("proctor.exam_views.MAX_COMMENT_CHARS", 123)
    page = client_for(world["users"]["proctor"]).get(f"/proctor/sessions/{world['session'].pk}/").content.decode()
    assert 'name="comment" maxlength="123"' in page
    assert 'maxlength="2000"' not in page


def test_the_saved_verdict_stays_selected_and_saving_is_confirmed(world, client_for):
    """Issue 14: after saving, the select shows the saved verdict (a second save must not silently
    overwrite it with the first option) and the page says the decision was saved."""
    session = world["session"]
    proctor = client_for(world["users"]["proctor"])
    page = proctor.post(f"/proctor/sessions/{session.pk}/verdict/", {"verdict": "annulled"}, follow=True)
    html = page.content.decode()
    assert re.search(r'<option value="annulled"\s+selected>', html)
    assert not re.search(r'<option value="clean"\s+selected>', html)
    assert "Решение сохранено" in html
