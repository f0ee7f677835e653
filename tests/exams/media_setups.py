"""Set-ups and readings for the media-worker tests, run in the live server's database (``live_env.call``)."""

from __future__ import annotations


def placement(session: int) -> str | None:
    """The name of the media worker the session is placed on (None: none)."""
    from proctor.models import ExamSession

    worker = ExamSession.objects.select_related("media_worker").get(pk=session).media_worker
    return worker.name if worker is not None else None


def episodes(session: int) -> list[list]:
    """The session's episodes as ``[id, kind, started_at, ended_at or None]`` (ISO times), oldest first."""
    from proctor.models import Episode

    rows = Episode.objects.filter(session_id=session).order_by("pk")
    return [[e.pk, e.kind, e.started_at.isoformat(), e.ended_at.isoformat() if e.ended_at else None] for e in rows]


def flag_in_recording(session: int, kind: str, offset: float, seconds: float) -> int:
    """An episode ``offset`` seconds into the session's recording (its first piece's start), ``seconds`` long."""
    from datetime import timedelta

    from proctor.models import Episode, RecordingPiece

    start = RecordingPiece.objects.filter(session_id=session).order_by("started_at")[0].started_at
    at = start + timedelta(seconds=offset)
    return Episode.objects.create(
        session_id=session, kind=kind, started_at=at, ended_at=at + timedelta(seconds=seconds)
    ).pk


def recording_pieces(session: int) -> list[list]:
    """The session's recording pieces as ``[started_at (ISO), size_bytes (0: cut or still written), screen
    recorded]``, in order."""
    from proctor.models import RecordingPiece
    from proctor.recording import written

    rows = RecordingPiece.objects.filter(session_id=session)
    return [[p.started_at.isoformat(), p.size_bytes, written(p.screen_path) is not None] for p in rows]


def long_recording(session: int, minutes: int, folder: str) -> None:
    """One piece of ``minutes`` of the session's recording, written by the recorder as a media worker does: a
    10-second camera (1 fps) and voice clip over and over, so joining it (copy and waveform) takes as long as a
    real attempt of that length."""
    from pathlib import Path

    from aiortc.jitterbuffer import JitterFrame

    from bench.media import camera, voice
    from proctor import recording
    from tests.exams.test_recording_pieces import CLOCK_RATES, MediaTime, encoded_frames, feed

    clip_seconds = 10
    clip = encoded_frames(camera(Path(folder) / "c.webm", clip_seconds, fps=1), voice(Path(folder) / "v.ogg", 10, 440))
    clock = MediaTime()
    piece_id, recorder = recording.start_piece(session, clock)
    for repeat in range(minutes * 60 // clip_seconds):
        ticks = {kind: repeat * clip_seconds * rate for kind, rate in CLOCK_RATES.items()}
        feed(recorder.camera, clock, [(kind, JitterFrame(f.data, f.timestamp + ticks[kind])) for kind, f in clip])
    recorder.close()
    recording.piece_closed(piece_id, recorder.size)
