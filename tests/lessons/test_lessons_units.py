"""In-process checks of the lesson rules: weekly occurrences, the join window, TURN credentials,
attendance arithmetic, and who sees which pages (Django test client)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from django.utils import timezone

from lessons.attendance import merged_seconds, sheet
from lessons.janus_events import record_media
from lessons.models import Lesson, LessonRun, MediaInterval, Participant, Presence
from lessons.schedule import current_occurrence
from lessons.turn import ice_servers_for, turn_credentials
from server.accounts.models import User
from server.school.models import Enrolment, StudyGroup

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


def make_lesson(**fields) -> Lesson:
    defaults = {
        "title": "Алгебра",
        "group": StudyGroup.objects.get(name="9А"),
        "teacher": User.objects.get(username="teacher"),
        "starts_at": T0,
        "duration_minutes": 45,
    }
    return Lesson.objects.create(**{**defaults, **fields})


def test_weekly_occurrences_stop_at_repeat_until(school):
    lesson = make_lesson(repeat_weekly=True, repeat_until=dt.date(2026, 9, 22))
    found = lesson.occurrences(T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=60))
    assert found == [T0 + dt.timedelta(weeks=k) for k in range(4)]
    # a window in the middle of the term starts at the right week, and catches a lesson in progress
    assert lesson.occurrences(T0 + dt.timedelta(weeks=2, minutes=30), T0 + dt.timedelta(weeks=2, hours=1)) == [
        T0 + dt.timedelta(weeks=2)
    ]
    single = make_lesson()
    assert single.occurrences(T0 + dt.timedelta(days=7), T0 + dt.timedelta(days=8)) == []


def test_join_window_opens_ten_minutes_before(school, settings):
    settings.LESSONS_JOIN_EARLY_MINUTES = 10
    lesson = make_lesson(repeat_weekly=True)
    week2 = T0 + dt.timedelta(weeks=1)
    assert current_occurrence(lesson, week2 - dt.timedelta(minutes=11)) is None
    assert current_occurrence(lesson, week2 - dt.timedelta(minutes=9)).starts_at == week2
    assert current_occurrence(lesson, week2 + dt.timedelta(minutes=44)).starts_at == week2
    assert current_occurrence(lesson, week2 + dt.timedelta(hours=2)) is None


def test_turn_credentials_follow_the_coturn_rest_scheme(settings):
    username, credential = turn_credentials(42, "s3cret", 600, now=1_700_000_000)
    assert username == "1700000600:42"
    expected = base64.b64encode(hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()).decode()
    assert credential == expected
    settings.LESSONS_STUN_URLS = ["stun:stun.school.example:3478"]
    settings.LESSONS_TURN_URLS = ["turn:turn.school.example:3478"]
    settings.LESSONS_TURN_SECRET = "s3cret"
    servers = ice_servers_for(7)
    assert servers[0] == {"urls": ["stun:stun.school.example:3478"]}
    assert servers[1]["username"].endswith(":7")
    settings.LESSONS_TURN_SECRET = ""
    assert ice_servers_for(7) == [{"urls": ["stun:stun.school.example:3478"]}]


def test_merged_seconds_counts_overlapping_tabs_once():
    a = T0
    intervals = [
        (a, a + dt.timedelta(minutes=10)),
        (a + dt.timedelta(minutes=5), a + dt.timedelta(minutes=12)),
        (a + dt.timedelta(minutes=20), a + dt.timedelta(minutes=25)),
    ]
    assert merged_seconds(intervals, a, a + dt.timedelta(hours=1)) == 17 * 60
    assert merged_seconds(intervals, a + dt.timedelta(minutes=11), a + dt.timedelta(minutes=22)) == 3 * 60


def test_attendance_sheet_late_absent_and_minutes(school, settings):
    settings.LESSONS_LATE_AFTER_MINUTES = 5
    lesson = make_lesson()
    run = LessonRun.objects.create(lesson=lesson, starts_at=T0, ended_at=T0 + dt.timedelta(minutes=45))
    for username, late_by, stay in (("student", -2, 50), ("student2", 10, 20)):
        user = User.objects.get(username=username)
        participant = Participant.objects.create(run=run, user=user, role="student")
        Presence.objects.create(
            participant=participant,
            joined_at=T0 + dt.timedelta(minutes=late_by),
            left_at=T0 + dt.timedelta(minutes=late_by + stay),
        )
    rows = {r.student.username: r for r in sheet(run)}
    assert rows["student"].status == "present"
    assert rows["student"].minutes_present == 45.0  # clipped to the lesson (joined early, left after the end)
    assert rows["student2"].status == "late"
    assert rows["student2"].minutes_present == 20.0
    assert set(rows) == {"student", "student2"}  # the whole group, nobody else


def test_schedule_and_attendance_pages_respect_roles(school, client):
    now = timezone.now()
    lesson = make_lesson(starts_at=now - dt.timedelta(minutes=5))
    run = LessonRun.objects.create(lesson=lesson, starts_at=lesson.starts_at)
    for username, sees, can_join in (
        ("student", True, True),
        ("parent", True, False),
        ("student3", False, False),
        ("teacher", True, True),
    ):
        client.force_login(User.objects.get(username=username))
        page = client.get("/lessons/").content.decode()
        assert ("Алгебра" in page) is sees, username
        assert (f'href="/lessons/{lesson.pk}/"' in page) is can_join, username
        room = client.get(f"/lessons/{lesson.pk}/")
        assert room.status_code == (200 if can_join else 404), username
    client.force_login(User.objects.get(username="student"))
    assert client.get(f"/lessons/runs/{run.pk}/attendance/").status_code == 404
    assert client.get(f"/lessons/runs/{run.pk}/attendance.csv").status_code == 404
    client.force_login(User.objects.get(username="curator"))
    assert client.get(f"/lessons/runs/{run.pk}/attendance/").status_code == 200
    client.force_login(User.objects.get(username="teacher"))
    csv_text = client.get(f"/lessons/runs/{run.pk}/attendance.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("ученик;логин;вошёл")
    assert "Иванов Иван Петрович;student;;;0,0;0,0;нет;отсутствовал" in csv_text


def test_teacher_plans_a_weekly_lesson_only_for_own_group(school, client):
    client.force_login(User.objects.get(username="teacher"))
    form = {
        "title": "Геометрия",
        "kind": "lesson",
        "teacher": User.objects.get(username="teacher").pk,
        "starts_at": "2026-09-02T10:00",
        "duration_minutes": 45,
        "repeat_weekly": "on",
        "students_camera_allowed": "on",
        "students_microphone_allowed": "on",
    }
    other_group = StudyGroup.objects.get(name="10Б").pk
    response = client.post("/lessons/new/", {**form, "group": other_group})
    assert response.status_code == 200  # refused: not a group this teacher teaches
    assert not Lesson.objects.filter(title="Геометрия").exists()
    response = client.post("/lessons/new/", {**form, "group": StudyGroup.objects.get(name="9А").pk})
    assert response.status_code == 302
    assert Lesson.objects.get(title="Геометрия").repeat_weekly
    client.force_login(User.objects.get(username="student"))
    assert client.get("/lessons/new/").status_code == 403


def test_interval_of_a_dead_server_process_ends_at_its_last_heartbeat(school):
    """A daphne killed with SIGKILL never closes its intervals: they stop counting at the last heartbeat."""
    from lessons.live import participants

    now = timezone.now()
    lesson = make_lesson(starts_at=now - dt.timedelta(minutes=30))
    run = LessonRun.objects.create(lesson=lesson, starts_at=lesson.starts_at)
    alive, dead = User.objects.get(username="student"), User.objects.get(username="student2")
    for user, seen in ((alive, now - dt.timedelta(seconds=10)), (dead, now - dt.timedelta(minutes=20))):
        participant = Participant.objects.create(run=run, user=user, role="student")
        Presence.objects.create(participant=participant, joined_at=now - dt.timedelta(minutes=25), seen_at=seen)
    rows = {r.student.username: r for r in sheet(run, now=now)}
    assert rows["student"].minutes_present == 25.0
    assert rows["student2"].minutes_present == 5.0
    assert [p["user"] for p in participants(run.pk)] == [alive.pk]


def test_janus_event_endpoint_needs_the_secret_and_marks_media_up(school, client, settings):
    import base64
    import json

    settings.JANUS_API_SECRET = "api-secret"
    lesson = make_lesson(starts_at=timezone.now())
    run = LessonRun.objects.create(lesson=lesson, starts_at=lesson.starts_at)
    participant = Participant.objects.create(run=run, user=User.objects.get(username="student"), role="student")
    presence = Presence.objects.create(participant=participant, joined_at=timezone.now(), janus_session=555)
    events = json.dumps([{"type": 16, "session_id": 555, "handle_id": 1, "event": {"connection": "webrtcup"}}])

    def post(user_password: str | None):
        headers = {}
        if user_password is not None:
            headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(user_password.encode()).decode()
        return client.post("/lessons/janus/events/", events, content_type="application/json", **headers)

    assert post(None).status_code == 401
    assert post("janus:wrong").status_code == 401
    presence.refresh_from_db()
    assert presence.media_up_at is None
    assert post("janus:api-secret").status_code == 204
    presence.refresh_from_db()
    assert presence.media_up_at is not None
    assert sheet(run)[0].media_connected is True
    assert MediaInterval.objects.get(presence=presence).down_at is None
    events = json.dumps([{"type": 16, "session_id": 555, "event": {"connection": "hangup", "reason": "DTLS alert"}}])
    assert post("janus:api-secret").status_code == 204
    assert MediaInterval.objects.get(presence=presence).down_at is not None


def test_a_student_added_to_the_group_after_a_lesson_is_not_absent_from_it(school):
    """The sheet of an earlier lesson lists only those already in the group (issue 15)."""
    lesson = make_lesson(starts_at=T0)
    run = LessonRun.objects.create(lesson=lesson, starts_at=T0, ended_at=T0 + dt.timedelta(minutes=45))
    group = lesson.group
    newcomer = User.objects.get(username="student3")
    Enrolment.objects.filter(group=group).update(added_at=T0 - dt.timedelta(days=30))
    group.students.add(newcomer)  # joins 9А today, months after the lesson
    assert Enrolment.objects.get(group=group, student=newcomer).added_at > run.ended_at
    assert {r.student.username for r in sheet(run)} == {"student", "student2"}
    later = LessonRun.objects.create(lesson=lesson, starts_at=timezone.now() + dt.timedelta(days=1))
    assert "student3" in {r.student.username for r in sheet(later)}
    group.students.remove(newcomer)
    assert not Enrolment.objects.filter(group=group, student=newcomer).exists()


def test_minutes_with_media_count_every_stretch_janus_reported(school):
    """Media up 10 min, down (page still open), up again 5 min: 15 with media, 30 with the page open."""
    now = timezone.now()
    start = now - dt.timedelta(minutes=30)
    lesson = make_lesson(starts_at=start)
    run = LessonRun.objects.create(lesson=lesson, starts_at=start)
    participant = Participant.objects.create(run=run, user=User.objects.get(username="student"), role="student")
    presence = Presence.objects.create(participant=participant, joined_at=start, janus_session=777)
    for up, minutes_ago in ((True, 30), (False, 20), (True, 5)):
        with time_at(now - dt.timedelta(minutes=minutes_ago)):
            record_media(777, up)
            record_media(777, up)  # Janus repeats itself: a second "webrtcup" opens no second interval
    assert MediaInterval.objects.filter(presence=presence).count() == 2
    row = {r.student.username: r for r in sheet(run, now=now)}["student"]
    assert row.minutes_present == 30.0
    assert row.minutes_with_media == 15.0
    assert row.media_connected


def time_at(moment: dt.datetime):
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)
