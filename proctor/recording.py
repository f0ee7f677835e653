"""The recording of each exam attempt: pieces written by the media workers, joined for review, purged like evidence.

A media worker starts a piece for every peer it makes for a session (:func:`start_piece`: a row, then the file
grows as frames arrive, :mod:`rtc.recording`), so a page reconnect or a move to another worker after a crash
starts another piece and a killed worker leaves a piece readable up to its last couple of seconds.

The pieces are joined into one WebM on the attempt's timeline (gaps where no peer was) when someone asks for
the recording (:func:`joined`): nothing has to run at the end of the attempt, which a crash could skip, and a
piece added later (a reconnect after a review request) is joined the next time. The join copies packets (no
decoding but the microphone's, for the waveform): per recorded hour ~1.2 s of CPU for the join and ~4.6 s for
the waveform (docs/benchmarks.md), spent once per change of the pieces.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rtc.recording import PieceWriter
from rtc.recording_mux import Piece, join, waveform
from server.accounts import audit
from server.retention import retention_period

from .models import AttemptRecording, ExamSession, RecordingPiece
from .models.recordings import recording_name, stored_path

log = logging.getLogger(__name__)

WAVEFORM_STEP = 0.1  # seconds per waveform value


def start_piece(session_id: int) -> tuple[int, PieceWriter]:
    """A new piece of the session's recording: its row (made first, so a crash never hides the file) and writer."""
    name = recording_name(session_id)
    piece = RecordingPiece.objects.create(session_id=session_id, started_at=timezone.now(), path=name)
    return piece.pk, PieceWriter(Path(settings.MEDIA_ROOT) / name)


def piece_closed(piece_id: int, size: int) -> None:
    RecordingPiece.objects.filter(pk=piece_id).update(size_bytes=size)


def _recorded(session: ExamSession) -> list[tuple[RecordingPiece, Path]]:
    """The session's pieces that have a file (a peer that never sent a keyframe has none), in order."""
    found = [(piece, stored_path(piece.path)) for piece in session.recording_pieces.all()]
    return [(piece, path) for piece, path in found if path is not None and path.stat().st_size > 0]


def joined(session: ExamSession) -> AttemptRecording | None:
    """The attempt's recording, joined again if its pieces changed since; None if nothing was recorded.

    Two requests joining at once each write a file; the row keeps the last, the other is an orphan for
    ``purge_orphan_files``.
    """
    pieces = _recorded(session)
    if not pieces:
        return None
    fingerprint = [[piece.path, path.stat().st_size] for piece, path in pieces]
    current = AttemptRecording.objects.filter(session=session).first()
    if current is not None and current.joined_from == fingerprint and stored_path(current.path) is not None:
        return current
    start = pieces[0][0].started_at
    name = recording_name(session.pk)
    target = Path(settings.MEDIA_ROOT) / name
    offsets = [Piece(path, (piece.started_at - start).total_seconds()) for piece, path in pieces]
    duration = join(offsets, target)
    fields = {
        "started_at": start,
        "duration": duration,
        "path": name,
        "size_bytes": target.stat().st_size,
        "waveform": waveform(target, WAVEFORM_STEP),
        "joined_from": fingerprint,
    }
    with transaction.atomic():
        recording, _ = AttemptRecording.objects.update_or_create(session=session, defaults=fields)
    if current is not None and current.path != name and (old := stored_path(current.path)) is not None:
        old.unlink(missing_ok=True)
    log.info("recording of session %s joined: %s pieces, %.0f s", session.pk, len(pieces), duration)
    return recording


def manifest(recording: AttemptRecording | None, camera_url: str) -> dict:
    """What the review player reads (docs/proctoring.md, "Recording"): times in seconds from ``started_at``."""
    if recording is None:
        return {"started_at": None, "duration": 0.0, "camera": None, "screen": None, "waveform": []}
    return {
        "started_at": recording.started_at.isoformat(),
        "duration": round(recording.duration, 3),
        "camera": camera_url,
        "screen": None,  # the shared screen's track, once it is recorded
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
    paths = [path for path in (stored_path(piece.path) for piece in session.recording_pieces.all()) if path]
    return {"pieces": len(paths), "bytes": sum(path.stat().st_size for path in paths)}
