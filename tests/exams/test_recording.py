"""The recording of an attempt: a real aiortc sender through the real media worker, joined and served to those
who may see the session's evidence (range requests for seeking); kept, exported and deleted like the evidence."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import av
import pytest
from django.core.management import call_command
from django.utils import timezone

from bench.media import camera, voice
from proctor import recording
from proctor.models import AttemptRecording, ExamSession, RecordingPiece
from tests.exams.helpers import record_attempt
from tests.exams.test_recording_pieces import MediaTime, encoded_frames, feed, later
from tests.support import setups
from tests.support.client import Session, logged_in

STREAMED_SECONDS = 6


def urls(session_id: int) -> tuple[str, str]:
    base = f"/proctor/sessions/{session_id}/recording"
    return f"{base}.json", f"{base}.webm"


@pytest.mark.media
async def test_an_attempt_streamed_through_the_worker_is_recorded_and_served_to_its_proctor_only(
    private_network, make_exam, daphne_factory, live_env, tmp_path
):
    exam_id = make_exam(None)
    live_env.call(setups.add_user, username="proctor2", role="proctor")  # a proctor of no exam
    server = daphne_factory()
    session_id = await record_attempt(server, exam_id, STREAMED_SECONDS)

    manifest_url, file_url = urls(session_id)
    proctor = logged_in(server.url, "proctor")
    status, body = await asyncio.to_thread(proctor.get, manifest_url)
    assert status == 200, body[:300]
    manifest = json.loads(body)
    assert set(manifest) == {"started_at", "duration", "camera", "screen", "waveform"}
    assert (manifest["camera"], manifest["screen"]) == (file_url, None)
    assert STREAMED_SECONDS - 1 <= manifest["duration"] <= STREAMED_SECONDS + 8
    assert len(manifest["waveform"]) >= (STREAMED_SECONDS - 1) * 10
    assert max(manifest["waveform"]) > 0.1  # the tone came through
    assert all(0 <= level <= 1 for level in manifest["waveform"])

    status, headers, whole = await asyncio.to_thread(proctor.request, "GET", file_url)
    assert (status, headers["content-type"], headers["accept-ranges"]) == (200, "video/webm", "bytes")
    status, headers, part = await asyncio.to_thread(proctor.request, "GET", file_url, None, {"Range": "bytes=100-"})
    assert (status, headers["content-range"], part) == (206, f"bytes 100-{len(whole) - 1}/{len(whole)}", whole[100:])
    (tmp_path / "attempt.webm").write_bytes(whole)
    with av.open(str(tmp_path / "attempt.webm")) as container:
        codecs = {s.type: s.codec_context.name for s in container.streams}
        length = float(container.duration or 0) / av.time_base
    assert codecs == {"video": "vp8", "audio": "opus"}
    assert STREAMED_SECONDS - 1 <= length <= STREAMED_SECONDS + 8

    refused = {}
    for who in ("student2", "proctor2"):
        client = logged_in(server.url, who)
        refused[who] = [(await asyncio.to_thread(client.get, url))[0] for url in (manifest_url, file_url)]
    anonymous = Session(server.url)
    refused["anonymous"] = [(await asyncio.to_thread(anonymous.get, url))[0] for url in (manifest_url, file_url)]
    assert refused == {"student2": [404, 404], "proctor2": [404, 404], "anonymous": [302, 302]}
    own = logged_in(server.url, "student")  # the student: once the session has been reviewed, as for evidence
    assert (await asyncio.to_thread(own.get, manifest_url))[0] == 404


def record_piece(
    session: ExamSession,
    folder: Path,
    seconds: float = 2,
    started_ago: timedelta | None = None,
    screen_from: float | None = None,
) -> int:
    """A piece written by the recorder as the worker does (its row first), optionally back-dated."""
    clock = MediaTime()
    piece_id, recorder = recording.start_piece(session.pk, clock)
    sources = camera(folder / "c.webm", seconds, fps=5), voice(folder / "v.ogg", seconds, 440)
    feed(recorder.camera, clock, encoded_frames(*sources))
    if screen_from is not None:  # the screen shared from this second on, at 1 fps
        screen = encoded_frames(camera(folder / "s.webm", seconds - screen_from, fps=1, width=1280, height=720))
        feed(recorder.screen, clock, [(kind, later(frame, screen_from)) for kind, frame in screen])
    recorder.close()
    recording.piece_closed(piece_id, recorder.size)
    if started_ago is not None:
        RecordingPiece.objects.filter(pk=piece_id).update(started_at=timezone.now() - started_ago)
    return piece_id


def test_pieces_are_joined_again_when_a_piece_is_added_and_the_manifest_names_the_contract(
    world, client_for, tmp_path, settings
):
    session = world["session"]
    manifest_url, file_url = urls(session.pk)
    proctor = client_for(world["users"]["proctor"])
    empty = proctor.get(manifest_url).json()
    assert empty == {"started_at": None, "duration": 0.0, "camera": None, "screen": None, "waveform": []}
    assert proctor.get(file_url).status_code == 404

    record_piece(session, tmp_path, 2)
    first = proctor.get(manifest_url).json()
    assert 1.8 <= first["duration"] <= 2.2
    assert first["camera"] == file_url
    piece = RecordingPiece.objects.get()
    assert piece.size_bytes > 0
    assert first["started_at"] == piece.started_at.isoformat()
    earlier = AttemptRecording.objects.get().path

    later = record_piece(session, tmp_path, 2)
    RecordingPiece.objects.filter(pk=later).update(started_at=piece.started_at + timedelta(seconds=5))
    second = proctor.get(manifest_url).json()
    assert 6.8 <= second["duration"] <= 7.2  # 2 s, the gap, 2 s
    assert second["waveform"][30:50] == [0.0] * 20  # silence where the camera and microphone were lost
    joined = AttemptRecording.objects.get()
    assert joined.path != earlier
    assert not (settings.MEDIA_ROOT / earlier).exists()
    response = proctor.get(file_url, HTTP_RANGE="bytes=0-99")
    assert (response.status_code, response["Content-Range"]) == (206, f"bytes 0-99/{joined.size_bytes}")


def test_a_running_attempt_is_joined_again_at_most_once_per_interval_and_at_once_when_it_has_ended(
    world, client_for, tmp_path
):
    session = world["session"]
    ExamSession.objects.filter(pk=session.pk).update(state=ExamSession.State.RUNNING)
    manifest_url, _ = urls(session.pk)
    proctor = client_for(world["users"]["proctor"])
    record_piece(session, tmp_path, 2)
    first = proctor.get(manifest_url).json()
    joined = AttemptRecording.objects.get()

    record_piece(session, tmp_path, 2)  # the attempt goes on: its pieces changed
    for _ in range(5):  # a reloading proctor, a looping client: the last join, not a join each
        assert proctor.get(manifest_url).json() == first
    assert AttemptRecording.objects.get().path == joined.path

    AttemptRecording.objects.update(joined_at=joined.joined_at - recording.REJOIN_AFTER)
    second = proctor.get(manifest_url).json()
    assert second["duration"] > first["duration"]  # the interval is over: both pieces
    rejoined = AttemptRecording.objects.get()
    assert rejoined.path != joined.path

    record_piece(session, tmp_path, 2)
    ExamSession.objects.filter(pk=session.pk).update(state=ExamSession.State.ENDED)
    assert proctor.get(manifest_url).json()["duration"] > second["duration"]  # ended: the whole attempt at once


def test_who_may_fetch_the_recording(world, client_for, tmp_path):
    session = world["session"]
    record_piece(session, tmp_path, screen_from=0.5)
    manifest_url, file_url = urls(session.pk)
    screen_url = f"/proctor/sessions/{session.pk}/screen.webm"
    status = {
        who: [client_for(world["users"][who]).get(url).status_code for url in (manifest_url, file_url, screen_url)]
        for who in ("proctor", "proctor2", "student", "student2", "admin", "teacher")
    }
    assert status == {
        "proctor": [200, 200, 200],
        "proctor2": [404, 404, 404],  # not assigned to the exam
        "student": [404, 404, 404],  # not reviewed yet
        "student2": [404, 404, 404],
        "admin": [200, 200, 200],
        "teacher": [200, 200, 200],  # the exam's teacher reviews
    }
    ExamSession.objects.filter(pk=session.pk).update(verdict=ExamSession.Verdict.CLEAN)
    assert client_for(world["users"]["student"]).get(file_url).status_code == 200
    assert client_for(world["users"]["student"]).get(screen_url).status_code == 200
    assert client_for(world["users"]["student2"]).get(screen_url).status_code == 404


def test_recordings_are_purged_exported_and_deleted_with_the_session_like_evidence(
    world, client_for, tmp_path, settings, django_capture_on_commit_callbacks
):
    session = world["session"]
    old = record_piece(session, tmp_path, started_ago=timedelta(days=91))
    student = client_for(world["users"]["student"])
    [exported] = student.get("/proctor/my-data.json").json()["exam_sessions"]
    size = RecordingPiece.objects.get(pk=old).size_bytes
    assert exported["recording"] == {"pieces": 1, "bytes": size, "file": None}  # not reviewed: not reachable yet
    client_for(world["users"]["proctor"]).get(urls(session.pk)[0])  # joined for review
    files = [settings.MEDIA_ROOT / p for p in (RecordingPiece.objects.get().path, AttemptRecording.objects.get().path)]
    assert all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_evidence")  # not reviewed: kept however old
    assert all(path.exists() for path in files)
    ExamSession.objects.filter(pk=session.pk).update(verdict=ExamSession.Verdict.CLEAN)
    [exported] = student.get("/proctor/my-data.json").json()["exam_sessions"]
    assert exported["recording"]["file"] == urls(session.pk)[1]

    other = ExamSession.objects.create(exam=world["exam"], student=world["users"]["student2"], verdict="clean")
    fresh = record_piece(other, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_evidence")
    assert not any(path.exists() for path in files)
    assert list(RecordingPiece.objects.values_list("pk", flat=True)) == [fresh]
    assert not AttemptRecording.objects.exists()

    fresh_path = settings.MEDIA_ROOT / RecordingPiece.objects.get().path
    assert fresh_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()  # the session goes (admin): its recording with it
    assert not fresh_path.exists()
    assert not RecordingPiece.objects.exists()


def test_the_consent_says_what_is_recorded_and_for_how_long_in_both_languages(world, client_for):
    russian = client_for(world["users"]["student"]).get("/proctor/consent/").content.decode()
    assert "записывается на сервере от входа до выхода: изображение с камеры, звук микрофона и экран" in russian
    assert "в течение срока хранения доказательств" in russian
    english = client_for(world["users"]["student"])
    english.cookies["django_language"] = "en"
    page = english.get("/proctor/consent/").content.decode()
    assert "recorded on the server from login to logout: the camera image, the microphone sound and the screen" in page
    assert "kept for the evidence retention period and deleted with the session" in page


def test_the_shared_screen_is_joined_into_its_own_file_on_the_camera_s_time_0(world, client_for, tmp_path):
    session = world["session"]
    manifest_url, _ = urls(session.pk)
    screen_url = f"/proctor/sessions/{session.pk}/screen.webm"
    proctor = client_for(world["users"]["proctor"])
    record_piece(session, tmp_path, 4, screen_from=1.5)
    manifest = proctor.get(manifest_url).json()
    assert manifest["screen"] == screen_url
    response = proctor.get(screen_url, HTTP_RANGE="bytes=0-")
    assert (response.status_code, response["Content-Type"]) == (206, "video/webm")
    (tmp_path / "screen.webm").write_bytes(b"".join(response))
    with av.open(str(tmp_path / "screen.webm")) as container:
        assert [(s.type, s.codec_context.name) for s in container.streams] == [("video", "vp8")]
        assert (container.streams.video[0].codec_context.width, container.streams.video[0].codec_context.height) == (
            1280,
            720,
        )
        times = [float(p.pts * p.time_base) for p in container.demux(video=0) if p.pts is not None and p.size]
    assert 1.4 <= times[0] <= 1.6  # shared 1.5 s into the piece: the same moment as on the camera's file
    assert len(times) == 2  # 1 fps for the 2.5 s shared
    assert client_for(world["users"]["proctor2"]).get(screen_url).status_code == 404

    other = ExamSession.objects.create(exam=world["exam"], student=world["users"]["student2"])
    record_piece(other, tmp_path)  # never shared: no screen
    assert proctor.get(urls(other.pk)[0]).json()["screen"] is None
    assert proctor.get(f"/proctor/sessions/{other.pk}/screen.webm").status_code == 404
