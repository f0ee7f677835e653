"""The recording of each exam attempt: pieces written by the media workers, joined for review, purged like evidence.

A media worker starts a piece for every peer it makes for a session (:func:`start_piece`: a row, then the file
grows as frames arrive, :mod:`rtc.recording`), so a page reconnect or a move to another worker after a crash
starts another piece and a killed worker leaves a piece readable up to its last couple of seconds.

The pieces are joined into one WebM on the attempt's timeline (gaps where no peer was) when someone asks for
the recording (:func:`joined`): nothing has to run at the end of the attempt, which a crash could skip, and a
piece added later (a reconnect after a review request) is joined the next time. The join copies packets (no
decoding but the microphone's, for the waveform): per recorded hour ~1.2 s of CPU for the join and ~4.6 s for
the waveform (docs/benchmarks.md), spent once per change of the pieces. While the attempt runs its pieces change
all the time, so there a request joins again only if the last join is :data:`REJOIN_AFTER` old (one request
claims it; the others get the last join): reloading a live session's review page, or a client looping on the
manifest, costs one join per interval, not one per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rtc.recording import PieceRecorder
from rtc.recording_mux import Piece, join, joined_waveform
from server.accounts import audit
from server.retention import retention_period

from .models import AttemptRecording, ExamSession, RecordingPiece
from .models.recordings import recording_name, stored_path

log = logging.getLogger(__name__)

WAVEFORM_STEP = 0.1  # seconds per waveform value
REJOIN_AFTER = timedelta(seconds=30)  # a running attempt's recording is joined again at most this often


def start_piece(session_id: int, clock: Callable[[], float] = time.monotonic) -> tuple[int, PieceRecorder]:
    """A new piece of the session's recording: its row (made first, so a crash never hides the files) and its
    recorder (``clock``: when frames arrive, see :class:`rtc.recording.PieceWriter`)."""
    name, screen_name = recording_name(session_id), recording_name(session_id)
    piece = RecordingPiece.objects.create(
        session_id=session_id, started_at=timezone.now(), path=name, screen_path=screen_name
    )
    media = Path(settings.MEDIA_ROOT)
    return piece.pk, PieceRecorder(media / name, media / screen_name, clock)


def piece_closed(piece_id: int, size: int) -> None:
    RecordingPiece.objects.filter(pk=piece_id).update(size_bytes=size)


def _recorded(session: ExamSession) -> list[tuple[RecordingPiece, Path, Path | None]]:
    """The session's pieces that have a camera file (a peer that never sent a keyframe has none), in order, each
    with its screen file if the student shared the screen during it."""
    found = [(piece, written(piece.path), written(piece.screen_path)) for piece in session.recording_pieces.all()]
    return [(piece, path, screen) for piece, path, screen in found if path is not None]


def written(relative: str) -> Path | None:
    """The recording file ``relative`` names, if it exists and holds something (a piece nothing reached is empty)."""
    path = stored_path(relative)
    return path if path is not None and path.stat().st_size > 0 else None


def joined(session: ExamSession) -> AttemptRecording | None:
    """The attempt's recording, joined again if its pieces changed since; None if nothing was recorded.

    The camera pieces are joined into one file and the screen pieces into another, both with time 0 at the
    first piece's start. Two requests joining at once each write files; the row keeps the last, the others are
    orphans for ``purge_orphan_files``.
    """
    pieces = _recorded(session)
    if not pieces:
        return None
    fingerprint = [
        [relative, path.stat().st_size]
        for piece, camera, screen in pieces
        for relative, path in ((piece.path, camera), (piece.screen_path, screen))
        if path
    ]
    current = AttemptRecording.objects.filter(session=session).first()
    if current is not None and stored_path(current.path) is not None and _still_current(session, current, fingerprint):
        return current
    start = pieces[0][0].started_at
    offsets = [(piece.started_at - start).total_seconds() for piece, _, _ in pieces]
    name = recording_name(session.pk)
    target = Path(settings.MEDIA_ROOT) / name
    cameras = [Piece(camera, offset) for (_, camera, _), offset in zip(pieces, offsets, strict=True)]
    duration = join(cameras, target)
    screens = [Piece(screen, offset) for (_, _, screen), offset in zip(pieces, offsets, strict=True) if screen]
    screen_name = recording_name(session.pk) if screens else ""
    if screens:
        join(screens, Path(settings.MEDIA_ROOT) / screen_name)
    fields = {
        "started_at": start,
        "duration": duration,
        "path": name,
        "screen_path": screen_name,
        "size_bytes": target.stat().st_size,
        "waveform": joined_waveform(cameras, WAVEFORM_STEP),
        "joined_from": fingerprint,
        "joined_at": timezone.now(),
    }
    with transaction.atomic():
        recording, _ = AttemptRecording.objects.update_or_create(session=session, defaults=fields)
    if current is not None:
        for old in {current.path, current.screen_path} - {name, screen_name}:
            if (stale := stored_path(old)) is not None:
                stale.unlink(missing_ok=True)
    log.info("recording of session %s joined: %s pieces, %.0f s", session.pk, len(pieces), duration)
    return recording


def _still_current(session: ExamSession, current: AttemptRecording, fingerprint: list) -> bool:
    """Whether the last join serves: its pieces are unchanged, or the attempt runs and it is not time to join."""
    return current.joined_from == fingerprint or (not session.is_over and not _claim_rejoin(current))


def _claim_rejoin(current: AttemptRecording) -> bool:
    """Whether this request may join a running attempt's recording again: the last join is :data:`REJOIN_AFTER`
    old, and no other request claimed it first (one atomic update decides)."""
    now = timezone.now()
    claimed = AttemptRecording.objects.filter(pk=current.pk, joined_at__lte=now - REJOIN_AFTER).update(joined_at=now)
    return claimed == 1


def manifest(recording: AttemptRecording | None, camera_url: str, screen_url: str) -> dict:
    """What the review player reads (docs/proctoring.md, "Recording"): times in seconds from ``started_at``."""
    if recording is None:
        return {"started_at": None, "duration": 0.0, "camera": None, "screen": None, "waveform": []}
    return {
        "started_at": recording.started_at.isoformat(),
        "duration": round(recording.duration, 3),
        "camera": camera_url,
        "screen": screen_url if recording.screen_path else None,
        "waveform": recording.waveform,
    }


def purgeable_sessions(now: datetime | None = None) -> QuerySet[ExamSession]:
    """Reviewed sessions whose recording is older than the evidence retention period (as for snapshots, a session
    without a verdict keeps its recording however old: it is what the reviewer judges by)."""
    cutoff = (now or timezone.now()) - retention_period("PROCTOR_EVIDENCE_RETENTION_DAYS")
    pieces = RecordingPiece.objects.filter(started_at__lt=cutoff).values("session")
    return ExamSession.objects.exclude(verdict="").filter(pk__in=pieces)


def purge_recordings(now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the recordings (pieces and joined file) of :func:`purgeable_sessions`; the number of sessions."""
    sessions = purgeable_sessions(now)
    if dry_run:
        return sessions.count()
    ids = list(sessions.values_list("pk", flat=True))
    with transaction.atomic():  # the files go after the commit (the rows' delete signal)
        RecordingPiece.objects.filter(session__in=ids).delete()
        AttemptRecording.objects.filter(session__in=ids).delete()
    if ids:
        days = settings.PROCTOR_EVIDENCE_RETENTION_DAYS
        audit.record("proctor.recordings_purged", count=len(ids), older_than_days=days)
    return len(ids)


def held(session: ExamSession) -> dict:
    """What is held of the session's recording, for the student's export (the file itself by reference)."""
    found = [(stored_path(piece.path), stored_path(piece.screen_path)) for piece in session.recording_pieces.all()]
    held_files = [(camera, screen) for camera, screen in found if camera]  # a piece is held while its camera file is
    paths = [path for files in held_files for path in files if path]
    return {"pieces": len(held_files), "bytes": sum(path.stat().st_size for path in paths)}
