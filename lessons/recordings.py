"""Lesson recordings: where Janus writes them, what is made of them after the lesson, and how long they stay.

The teacher switches recording on and off (``record`` on the lesson socket, lessons.actions); Janus's own
recorder writes the raw RTP of every publisher of the room into ``LESSONS_RECORDING_RAW_DIR/<folder>``, one
``.mjr`` file per stream, named by what we told Janus at publish time (:func:`recorder_name`: source, role,
user). Once the stretch stops (or the lesson ends) a process of its own (:func:`start_conversion`, never
daphne's event loop) turns them into what the lesson page plays:

* ``lesson.webm`` — the teacher's camera (VP8 as it was sent, not re-encoded) with every voice mixed (Opus);
* ``screen.webm`` — the teacher's shared screen, if any, ``screen_offset_seconds`` into the lesson.

Students' cameras are recorded by Janus too (it records whole publishers) and are deleted with the raw
files: the recording keeps the teacher's picture and everyone's voice. The WebM files are served only through
:func:`lessons.views.recording_file` (permission checked, range requests) and deleted
``LESSONS_RECORDING_RETENTION_DAYS`` after the lesson (:func:`purge_recordings`).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rtc.janus.recordings import ConversionFailed, MjrStream, convert, read_header
from rtc.recording_mux import Piece, combine
from server.accounts import audit
from server.retention import retention_period

from .models import LessonRun, Participant, Recording

log = logging.getLogger(__name__)

MEDIA_FOLDER = "lesson-recordings"  # under MEDIA_ROOT
LESSON_FILE = "lesson.webm"
SCREEN_FILE = "screen.webm"
SERVED_FILES = (LESSON_FILE, SCREEN_FILE)
CONVERSION_NICENESS = 10  # the conversion yields the cores to live lessons
# A run nobody ended (the teacher's tab died) stops counting as live this long after its planned end, like its
# join window (lessons.schedule): a stretch still "recording" then is stopped and converted by the sweep.
UNENDED_RUN_GRACE = dt.timedelta(minutes=30)


def raw_dir(recording: Recording) -> Path:
    return Path(settings.LESSONS_RECORDING_RAW_DIR) / recording.folder


def media_dir(recording: Recording) -> Path:
    return Path(settings.MEDIA_ROOT) / MEDIA_FOLDER / recording.folder


def active(run_id: int) -> Recording | None:
    return Recording.objects.filter(run_id=run_id, status=Recording.Status.RECORDING).first()


def active_raw_dir(run_id: int) -> str | None:
    """Where the run's room must record now (a room recreated on a Janus restart keeps recording), or None."""
    recording = active(run_id)
    return str(raw_dir(recording)) if recording is not None else None


def recorder_name(source: str, role: str, user_id: int) -> str:
    """The base name Janus gives a publisher's files: what the conversion needs to know about them.

    A random tail keeps a re-published stream (a reconnect) from writing over the earlier file.
    """
    return f"{source}-{role}-{user_id}-{secrets.token_hex(4)}"


def _label(stream: MjrStream) -> tuple[str, str] | None:
    """(source, role) from :func:`recorder_name`; None for a file that is not ours."""
    source, _, rest = stream.path.name.partition("-")
    role = rest.partition("-")[0]
    if source not in {"camera", "screen"} or role not in Participant.Role.values:
        return None
    return source, role


# ----- conversion ------------------------------------------------------------------------------


def start_conversion(recording_id: int) -> None:
    """Convert in a process of its own, at low priority; called once the stop has committed."""
    command = [
        "nice",  # not preexec_fn=os.nice: daphne has threads, and preexec_fn is unsafe with threads
        "-n",
        str(CONVERSION_NICENESS),
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "convert_lesson_recordings",
        "--recording",
        str(recording_id),
    ]
    threading.Thread(target=_run_converter, args=(command,), name=f"recording-{recording_id}", daemon=True).start()


def _run_converter(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own manage.py
    if result.returncode != 0:
        log.error("recording conversion failed: %s", result.stderr[-2000:])


def stop_unended(now: dt.datetime | None = None) -> int:
    """Stop the stretches still "recording" in runs that ended, or whose window closed without an end."""
    now = now or timezone.now()
    stale = Recording.objects.filter(status=Recording.Status.RECORDING).select_related("run__lesson")
    ids = [r.pk for r in stale if r.run.ended_at is not None or r.run.ends_at + UNENDED_RUN_GRACE < now]
    return Recording.objects.filter(pk__in=ids).update(status=Recording.Status.STOPPED, stopped_at=now)


def waiting() -> list[int]:
    return list(Recording.objects.filter(status=Recording.Status.STOPPED).values_list("pk", flat=True))


def convert_recording(recording_id: int) -> Recording.Status | None:
    """Make the WebM files of a stopped stretch; its new status, or None if another converter has it."""
    claimed = Recording.objects.filter(pk=recording_id, status=Recording.Status.STOPPED).update(
        status=Recording.Status.CONVERTING
    )
    if not claimed:
        return None
    recording = Recording.objects.get(pk=recording_id)
    started = time.monotonic()
    try:
        _build(recording)
    except Exception as error:  # whatever breaks (janus-pp-rec, PyAV, the disk), the stretch must not stay "converting"
        log.exception("recording %s could not be converted", recording_id)
        recording.status = Recording.Status.FAILED
        recording.error = str(error)[:2000]
    else:
        recording.status = Recording.Status.READY
        shutil.rmtree(raw_dir(recording), ignore_errors=True)
    recording.converted_at = timezone.now()
    recording.conversion_seconds = time.monotonic() - started
    recording.save()
    audit.record("lessons.recording_converted", run=recording.run_id, recording=recording.pk, status=recording.status)
    return Recording.Status(recording.status)


def _build(recording: Recording) -> None:
    streams = [s for s in map(read_header, sorted(raw_dir(recording).glob("*.mjr"))) if s is not None]
    ours = [(s, label) for s in streams if (label := _label(s)) is not None]
    if not ours:
        raise ConversionFailed("Janus recorded no media in this stretch")
    origin = min(s.first_packet_us for s, _ in ours)
    target = media_dir(recording)
    work = target / ".work"
    work.mkdir(parents=True, exist_ok=True)
    camera: list[Piece] = []
    screen: list[Piece] = []
    voices: list[Piece] = []
    for stream, (source, role) in ours:
        offset = (stream.first_packet_us - origin) / 1_000_000
        if stream.kind == "audio":
            voices.append(Piece(convert(stream, work), offset))
        elif source == "camera" and role == Participant.Role.TEACHER:
            camera.append(Piece(convert(stream, work), offset))
        elif source == "screen":
            screen.append(Piece(convert(stream, work), offset))
    if not camera and not voices:
        raise ConversionFailed("neither the teacher's camera nor any voice was recorded")
    recording.duration_seconds = combine(camera, voices, target / LESSON_FILE)
    if screen:
        start = min(piece.offset for piece in screen)
        combine([Piece(p.path, p.offset - start) for p in screen], [], target / SCREEN_FILE)
        recording.has_screen, recording.screen_offset_seconds = True, start
    shutil.rmtree(work, ignore_errors=True)
    recording.size_bytes = sum(f.stat().st_size for f in _files(recording))


def _files(recording: Recording) -> Iterator[Path]:
    folder = media_dir(recording)
    return (folder / name for name in SERVED_FILES if (folder / name).is_file())


def delete_files(recording: Recording) -> None:
    """A deleted row takes its files along (raw and WebM), whatever deletes it (the admin, a cascade)."""
    shutil.rmtree(media_dir(recording), ignore_errors=True)
    shutil.rmtree(raw_dir(recording), ignore_errors=True)


def served_file(recording: Recording, name: str) -> Path | None:
    """The file of a ready recording that the page may fetch, or None."""
    if recording.status != Recording.Status.READY or name not in SERVED_FILES:
        return None
    path = media_dir(recording) / name
    return path if path.is_file() else None


def stored_files() -> Iterator[str]:
    """Paths under MEDIA_ROOT that recordings' rows point to (server.media_files: the rest are orphans)."""
    for folder in Recording.objects.exclude(status=Recording.Status.PURGED).values_list("folder", flat=True):
        for name in SERVED_FILES:
            yield f"{MEDIA_FOLDER}/{folder}/{name}"


# ----- retention -------------------------------------------------------------------------------


def purgeable(now: dt.datetime | None = None) -> list[Recording]:
    """Recordings of runs that started more than ``LESSONS_RECORDING_RETENTION_DAYS`` ago (not being made now)."""
    cutoff = (now or timezone.now()) - retention_period("LESSONS_RECORDING_RETENTION_DAYS")
    old = Recording.objects.filter(run__starts_at__lt=cutoff).exclude(
        status__in=[Recording.Status.PURGED, Recording.Status.RECORDING, Recording.Status.CONVERTING]
    )
    return list(old)


def purge_recordings(now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Delete the files of :func:`purgeable` recordings (raw and WebM); their rows stay, marked purged."""
    old = purgeable(now)
    if dry_run:
        return len(old)
    for recording in old:
        delete_files(recording)
        with transaction.atomic():
            Recording.objects.filter(pk=recording.pk).update(status=Recording.Status.PURGED, size_bytes=0)
    if old:
        days = settings.LESSONS_RECORDING_RETENTION_DAYS
        audit.record("lessons.recordings_purged", count=len(old), older_than_days=days)
    return len(old)


def ready_for_runs(runs: list[LessonRun]) -> list[Recording]:
    return list(Recording.objects.filter(run__in=runs).exclude(status=Recording.Status.PURGED).order_by("started_at"))
