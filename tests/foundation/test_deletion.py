"""Deleting a group, a student or an exam never silently takes history with it; files go with their rows;
``purge_orphan_files`` finds files no row points to."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import ProtectedError
from django.test import Client
from django.utils import timezone

from chat.attachments.models import Attachment
from chat.models import Message, Room
from chat.rooms import sync_group_rooms
from lessons.models import Lesson, LessonRun, Participant
from proctor.models import Episode, Exam, ExamSession, ReferencePhoto
from server.school.models import StudyGroup


def exam_for(group: StudyGroup, teacher) -> Exam:
    now = timezone.now()
    return Exam.objects.create(
        title="Химия", group=group, opens_at=now, closes_at=now + timedelta(hours=1), created_by=teacher
    )


def snapshot(media_root, session: ExamSession) -> Episode:
    episode = Episode.objects.create(session=session, kind="no_face", started_at=timezone.now())
    path = media_root / "evidence" / str(session.pk) / f"{episode.evidence_token}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 jpeg")
    episode.evidence = str(path.relative_to(media_root))
    episode.save()
    return episode


def admin_client(school) -> Client:
    client = Client()
    client.force_login(school["admin"])
    return client


def test_a_group_with_exams_or_lessons_cannot_be_deleted(school):
    group = StudyGroup.objects.get(name="9А")
    exam = exam_for(group, school["teacher"])
    with pytest.raises(ProtectedError):
        group.delete()
    exam.delete()  # never sat: may go
    Lesson.objects.create(title="Урок", group=group, teacher=school["teacher"], starts_at=timezone.now())
    with pytest.raises(ProtectedError):
        group.delete()
    assert StudyGroup.objects.filter(name="9А").exists()


def test_a_deleted_groups_chats_with_history_stay_and_empty_ones_go(school):
    group = StudyGroup.objects.create(name="7В")
    group.students.add(school["student"])
    talked, silent = sync_group_rooms(group)
    Message.objects.create(room=talked, seq=1, author=school["student"], client_id="a", text="привет")
    Room.objects.filter(pk=talked.pk).update(last_seq=1)
    group.delete()
    talked.refresh_from_db()
    assert (talked.group, list(talked.messages.values_list("text", flat=True))) == (None, ["привет"])
    assert talked.memberships.filter(user=school["student"]).exists()  # still readable by its members
    assert not Room.objects.filter(pk=silent.pk).exists()


def test_a_student_with_exam_sessions_or_attendance_cannot_be_deleted(school):
    exam = exam_for(StudyGroup.objects.get(name="9А"), school["teacher"])
    ExamSession.objects.create(exam=exam, student=school["student"])
    with pytest.raises(ProtectedError):
        school["student"].delete()
    with pytest.raises(ProtectedError):
        exam.delete()
    lesson = Lesson.objects.create(
        title="Урок", group=StudyGroup.objects.get(name="10Б"), teacher=school["teacher2"], starts_at=timezone.now()
    )
    run = LessonRun.objects.create(lesson=lesson, starts_at=lesson.starts_at)
    Participant.objects.create(run=run, user=school["student3"], role=Participant.Role.STUDENT)
    with pytest.raises(ProtectedError):
        school["student3"].delete()
    with pytest.raises(ProtectedError):
        lesson.delete()


def test_the_admin_says_why_a_student_cannot_be_deleted_and_what_to_do(school):
    exam = exam_for(StudyGroup.objects.get(name="9А"), school["teacher"])
    ExamSession.objects.create(exam=exam, student=school["student"])
    client = admin_client(school)
    url = f"/admin/accounts/user/{school['student'].pk}/delete/"
    page = client.get(url).content.decode()
    assert "Пользователя с экзаменами или посещаемостью уроков удалить нельзя" in page
    assert "Снимите флажок «Активный»" in page
    client.post(url, {"post": "yes"})
    assert school["student"].__class__.objects.filter(pk=school["student"].pk).exists()


def test_files_go_with_their_rows(school, media_root, django_capture_on_commit_callbacks):
    exam = exam_for(StudyGroup.objects.get(name="9А"), school["teacher"])
    session = ExamSession.objects.create(exam=exam, student=school["student"])
    evidence = media_root / snapshot(media_root, session).evidence
    room = sync_group_rooms(StudyGroup.objects.get(name="9А"))[0]
    upload = media_root / "chat" / "ab" / "cd" / "upload.txt"
    thumb = media_root / "chat" / "ab" / "cd" / "thumb.jpg"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"x")
    thumb.write_bytes(b"y")
    attachment = Attachment.objects.create(
        room=room, kind="image", mime="image/png", name="a.png", size=1, stored_as="chat/ab/cd/upload.txt",
        thumbnail="chat/ab/cd/thumb.jpg",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        session.delete()  # explicit: the admin lists the episodes it takes
        attachment.delete()
    assert not evidence.exists()
    assert not upload.exists()
    assert not thumb.exists()


def test_purge_orphan_files_lists_by_default_and_deletes_only_when_asked(school, media_root):
    exam = exam_for(StudyGroup.objects.get(name="9А"), school["teacher"])
    kept = media_root / snapshot(media_root, ExamSession.objects.create(exam=exam, student=school["student"])).evidence
    photo = ReferencePhoto.objects.create(student=school["student"], embedding=b"", image="biometrics/reference/k.jpg")
    (media_root / photo.image.name).parent.mkdir(parents=True)
    (media_root / photo.image.name).write_bytes(b"photo")
    orphan_photo = media_root / "biometrics" / "reference" / "gone.jpg"
    orphan_upload = media_root / "chat" / "00" / "11" / "gone.pdf"
    orphan_evidence = kept.with_name("gone.jpg")
    young = media_root / "chat" / "00" / "11" / "being-uploaded.pdf"
    orphan_upload.parent.mkdir(parents=True)
    for path in (orphan_photo, orphan_upload, orphan_evidence, young, kept):
        path.write_bytes(b"data")
    two_hours_ago = time.time() - 7200
    for path in (orphan_photo, orphan_upload, orphan_evidence, kept, media_root / photo.image.name):
        os.utime(path, (two_hours_ago, two_hours_ago))
    expected = sorted(str(p.relative_to(media_root)) for p in (orphan_photo, orphan_upload, orphan_evidence))

    listed = io.StringIO()
    call_command("purge_orphan_files", stdout=listed)
    lines = listed.getvalue().splitlines()
    assert sorted(lines[:-1]) == expected
    assert lines[-1] == (
        "would delete (run with --delete): 3 file(s) without a row in "
        "biometrics/reference, chat, evidence, lesson-recordings, recordings"
    )
    assert orphan_upload.exists()

    call_command("purge_orphan_files", "--delete", stdout=io.StringIO())
    assert [p.exists() for p in (orphan_photo, orphan_upload, orphan_evidence)] == [False, False, False]
    assert [p.exists() for p in (kept, young, media_root / photo.image.name)] == [True, True, True]
