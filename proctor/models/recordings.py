"""The recording of an exam attempt: its pieces as the media workers write them, and the joined file."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .exams import ExamSession

RECORDING_DIR = "recordings"  # under MEDIA_ROOT: <session id>/<random name>.webm


def recording_name(session_id: int) -> str:
    """A new non-guessable file name (128 bits) for a file of the session's recording, relative to MEDIA_ROOT."""
    return f"{RECORDING_DIR}/{session_id}/{secrets.token_urlsafe(16)}.webm"


def stored_path(relative: str) -> Path | None:
    """The file, only if it really lies under MEDIA_ROOT/recordings and exists."""
    if not relative:
        return None
    root = (Path(settings.MEDIA_ROOT) / RECORDING_DIR).resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


class RecordingPiece(models.Model):
    """One peer's life of the attempt (a reconnect, or a move to another media worker, starts a new one).

    The row is made when its file is started, so a piece whose worker was killed is still found and joined.
    """

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="recording_pieces")
    started_at = models.DateTimeField()  # wall clock of the piece's time 0
    path = models.CharField(max_length=200)  # under MEDIA_ROOT: the camera and the microphone
    screen_path = models.CharField(max_length=200, blank=True)  # the shared screen, on the same time 0 (no file: none)
    size_bytes = models.PositiveBigIntegerField(default=0)  # when the piece was closed; 0 while written or cut

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.started_at:%H:%M:%S}"


class AttemptRecording(models.Model):
    """The pieces joined on the attempt's timeline (one WebM, what the review player plays)."""

    session = models.OneToOneField(ExamSession, on_delete=models.CASCADE, related_name="recording")
    started_at = models.DateTimeField()  # time 0 of the file: the first piece's start
    duration = models.FloatField()  # seconds
    path = models.CharField(max_length=200)  # under MEDIA_ROOT: the camera and the microphone
    screen_path = models.CharField(max_length=200, blank=True)  # the shared screen on the same time 0; "" if never
    size_bytes = models.PositiveBigIntegerField()
    waveform = models.JSONField(default=list)  # the microphone's peak level (0..1) per 100 ms
    joined_from = models.JSONField(default=list)  # [[piece path, bytes], ...] joined: a change means join again
    joined_at = models.DateTimeField(default=timezone.now)  # while the attempt runs, joins are spaced by this

    def __str__(self) -> str:
        return f"{self.session_id}: {self.duration:.0f} s"


@receiver(post_delete, sender=RecordingPiece)
@receiver(post_delete, sender=AttemptRecording)
def _delete_recording_file(
    sender: type[models.Model], instance: RecordingPiece | AttemptRecording, **kwargs: object
) -> None:
    """The files go with their row (a deleted session, the retention purge), after the commit."""
    for path in (stored_path(instance.path), stored_path(instance.screen_path)):
        if path is not None:
            transaction.on_commit(functools.partial(path.unlink, missing_ok=True))
