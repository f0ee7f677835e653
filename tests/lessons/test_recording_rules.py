"""Lesson recordings in process: who may fetch the files (and the page), seeking by range, retention, the sweep
of recordings nobody stopped, and the mixing of converted streams onto one timeline (PyAV, synthetic media)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bench.media import camera, voice
from lessons import recordings
from lessons.models import Lesson, LessonRun, Recording
from rtc.janus.recordings import read_header
from rtc.recording_mux import Piece, combine
from server.accounts.models import User
from server.school.models import StudyGroup

CONTENT = bytes(range(256)) * 40  # 10,240 bytes standing for lesson.webm


def make_recording(group: str = "9А", days_ago: float = 1, status: str = "ready") -> Recording:
    starts = timezone.now() - dt.timedelta(days=days_ago)
    lesson = Lesson.objects.create(
        title="Алгебра",
        group=StudyGroup.objects.get(name=group),
        teacher=User.objects.get(username="teacher" if group == "9А" else "teacher2"),
        starts_at=starts,
    )
    run = LessonRun.objects.create(lesson=lesson, starts_at=starts, ended_at=starts + dt.timedelta(minutes=45))
    recording = Recording.objects.create(run=run, started_at=starts, stopped_at=run.ended_at, status=status)
    folder = recordings.media_dir(recording)
    folder.mkdir(parents=True)
    (folder / recordings.LESSON_FILE).write_bytes(CONTENT)
    raw = recordings.raw_dir(recording)
    raw.mkdir(parents=True)
    (raw / "camera-teacher-1-ab.mjr").write_bytes(b"MJR00002")
    return recording


def file_url(recording: Recording, name: str = recordings.LESSON_FILE) -> str:
    return reverse("lessons:recording_file", args=[recording.folder, name])


@pytest.fixture
def raw_root(settings, tmp_path: Path) -> Path:
    settings.LESSONS_RECORDING_RAW_DIR = tmp_path / "raw"
    return settings.LESSONS_RECORDING_RAW_DIR


def test_the_recording_goes_to_the_group_its_staff_and_its_parents_and_to_nobody_else(school, client_for, raw_root):
    recording = make_recording()
    url = file_url(recording)
    allowed = ["teacher", "student", "student2", "curator", "admin", "director", "parent"]
    refused = ["student3", "teacher2", "curator2", "parent2", "proctor"]
    assert {who: client_for(who).get(url).status_code for who in allowed} == dict.fromkeys(allowed, 200)
    assert {who: client_for(who).get(url).status_code for who in refused} == dict.fromkeys(refused, 403)
    anonymous = client_for("student").__class__().get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    # The page: the group's parent sees the held lesson's player, another group's parent not even the page.
    room = reverse("lessons:room", args=[recording.run.lesson_id])
    page = client_for("parent").get(room)
    assert page.status_code == 200
    assert url in page.content.decode()
    assert f'href="{room}"' in client_for("parent").get(reverse("lessons:schedule")).content.decode()
    assert client_for("parent2").get(room).status_code == 404
    assert f'href="{room}"' not in client_for("parent2").get(reverse("lessons:schedule")).content.decode()


def test_only_ready_recordings_and_their_own_files_are_served(school, client_for, raw_root):
    recording = make_recording(status="converting")
    teacher = client_for("teacher")
    assert teacher.get(file_url(recording)).status_code == 404
    Recording.objects.filter(pk=recording.pk).update(status="ready")
    assert teacher.get(file_url(recording, recordings.SCREEN_FILE)).status_code == 404  # no screen was shared
    assert teacher.get(file_url(recording, "..%2Fsecret_key")).status_code == 404
    assert teacher.get(reverse("lessons:recording_file", args=["0" * 32, "lesson.webm"])).status_code == 404


def test_range_requests_let_the_player_seek(school, client_for, raw_root):
    url = file_url(make_recording())
    student = client_for("student")
    whole = student.get(url)
    assert (whole.status_code, whole["Accept-Ranges"], b"".join(whole)) == (200, "bytes", CONTENT)
    assert (whole["Content-Length"], whole["Cache-Control"]) == (str(len(CONTENT)), "private, no-store")

    def ranged(header: str) -> tuple[int, str, bytes]:
        response = student.get(url, HTTP_RANGE=header)
        body = b"".join(response) if response.streaming else response.content
        return response.status_code, response.get("Content-Range", ""), body

    size = len(CONTENT)
    assert ranged("bytes=100-199") == (206, f"bytes 100-199/{size}", CONTENT[100:200])
    assert ranged("bytes=10000-") == (206, f"bytes 10000-{size - 1}/{size}", CONTENT[10000:])
    assert ranged("bytes=-40") == (206, f"bytes {size - 40}-{size - 1}/{size}", CONTENT[-40:])
    assert ranged("bytes=10200-99999") == (206, f"bytes 10200-{size - 1}/{size}", CONTENT[10200:])
    assert ranged(f"bytes={size}-") == (416, f"bytes */{size}", b"")
    assert ranged("bytes=0-1,5-9")[0] == 200  # several ranges: the whole file


def test_purge_deletes_the_files_of_recordings_past_retention_and_keeps_their_rows(school, settings, raw_root):
    settings.LESSONS_RECORDING_RETENTION_DAYS = 30
    old, recent = make_recording(days_ago=31), make_recording(days_ago=29)
    failed = make_recording(days_ago=40, status="failed")

    assert recordings.purge_recordings(dry_run=True) == 2
    assert recordings.media_dir(old).exists()
    out = io.StringIO()
    call_command("purge_lesson_recordings", stdout=out)
    assert out.getvalue() == "deleted: 2 lesson recording(s) older than 30 days\n"

    statuses = {r.pk: (r.status, r.size_bytes) for r in Recording.objects.all()}
    assert statuses == {old.pk: ("purged", 0), failed.pk: ("purged", 0), recent.pk: ("ready", 0)}
    assert [recordings.media_dir(r).exists() for r in (old, failed, recent)] == [False, False, True]
    assert [recordings.raw_dir(r).exists() for r in (old, failed, recent)] == [False, False, True]
    assert recordings.purge_recordings() == 0  # nothing left to delete


def test_retention_of_zero_days_is_refused(school, settings, raw_root):
    from django.core.exceptions import ImproperlyConfigured

    settings.LESSONS_RECORDING_RETENTION_DAYS = 0
    with pytest.raises(ImproperlyConfigured):
        recordings.purge_recordings()


def test_the_sweep_stops_recordings_of_lessons_nobody_ended(school, raw_root):
    ended = make_recording(status="recording")  # its run has ended_at
    still_on = make_recording(days_ago=0, status="recording")
    LessonRun.objects.filter(pk=still_on.run_id).update(ended_at=None, starts_at=timezone.now())
    assert recordings.stop_unended() == 1
    assert dict(Recording.objects.values_list("pk", "status")) == {ended.pk: "stopped", still_on.pk: "recording"}


def test_mjr_header_gives_kind_codec_and_first_packet(tmp_path):
    header = json.dumps({"t": "v", "c": "vp8", "s": 1, "u": 1_700_000_000_123_456}).encode()
    path = tmp_path / "camera-teacher-5-ab-video-1.mjr"
    path.write_bytes(b"MJR00002" + len(header).to_bytes(2, "big") + header + b"\x00" * 20)
    stream = read_header(path)
    assert (stream.kind, stream.codec, stream.first_packet_us) == ("video", "vp8", 1_700_000_000_123_456)
    (tmp_path / "empty.mjr").write_bytes(b"MJR00002")  # Janus writes the header with the first packet
    assert read_header(tmp_path / "empty.mjr") is None


def loudness_by_second(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        rate = container.streams.audio[0].sample_rate
    return [float(np.abs(samples[s * rate : (s + 1) * rate]).mean()) for s in range(len(samples) // rate)]


def test_streams_are_laid_on_one_timeline_and_voices_mixed(tmp_path):
    """Camera pieces at 1 s and 4 s, one voice from 0 to 2 s and another from 5 s to 6 s: one WebM of 6 s whose
    video runs 1–3 and 4–6 s and whose sound is there at 0–2 and 5–6 s and silent between."""
    target = tmp_path / "lesson.webm"
    video = [
        Piece(camera(tmp_path / "a.webm", 2, fps=10, width=64, height=48), 1.0),
        Piece(camera(tmp_path / "b.webm", 2, fps=10, width=64, height=48), 4.0),
    ]
    voices = [Piece(voice(tmp_path / "t1.opus", 2, 440), 0.0), Piece(voice(tmp_path / "t2.opus", 1, 660), 5.0)]
    length = combine(video, voices, target)
    assert 5.9 <= length <= 6.1
    with av.open(str(target)) as container:
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) == 40
    assert 0.95 <= times[0] <= 1.05
    assert 3.95 <= times[20] <= 4.05
    loud = [level > 0.05 for level in loudness_by_second(target)]  # decoded as float, full scale 1.0
    assert loud[:6] == [True, True, False, False, False, True]


def test_deleting_a_recording_deletes_its_files_and_leftovers_count_as_orphans(school, raw_root):
    import os

    from server.media_files import orphans

    kept, deleted = make_recording(), make_recording()
    Recording.objects.filter(pk=deleted.pk).delete()  # bulk delete: the signal still runs per row
    assert not recordings.media_dir(deleted).exists()
    assert not recordings.raw_dir(deleted).exists()
    leftover = recordings.media_dir(kept).parent / "0123456789abcdef" / recordings.LESSON_FILE
    leftover.parent.mkdir()
    leftover.write_bytes(b"x")
    old = timezone.now().timestamp() - 7200
    for path in (leftover, recordings.media_dir(kept) / recordings.LESSON_FILE):
        os.utime(path, (old, old))
    assert orphans() == [leftover]


def test_a_stretch_without_media_fails_once_and_is_claimed_by_one_converter(school, raw_root):
    recording = make_recording(status="stopped")  # its raw folder holds only an empty .mjr
    assert recordings.convert_recording(recording.pk) == Recording.Status.FAILED
    recording.refresh_from_db()
    assert (recording.status, recording.error) == ("failed", "Janus recorded no media in this stretch")
    assert recordings.convert_recording(recording.pk) is None  # not waiting any more: nobody converts it twice
    assert recordings.raw_dir(recording).exists()  # kept for another try until the retention purge
