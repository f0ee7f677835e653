"""The recording of an exam attempt for the review player: its manifest and its WebM (range requests), both
permission-checked like the session's other evidence."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse

from server.accounts.http import AuthenticatedHttpRequest
from server.ranged_file import ranged_file_response

from . import exam_access, recording
from .models import AttemptRecording, ExamSession
from .models.recordings import stored_path

WEBM = "video/webm"


def _session(request: AuthenticatedHttpRequest, session_id: int) -> ExamSession:
    session = get_object_or_404(ExamSession.objects.select_related("exam"), pk=session_id)
    if not exam_access.can_view_evidence(request.user, session):
        raise Http404
    return session


@login_required
def recording_manifest(request: AuthenticatedHttpRequest, session_id: int) -> JsonResponse:
    """``{"started_at", "duration", "camera", "screen", "waveform"}`` (docs/proctoring.md, "Recording")."""
    session = _session(request, session_id)
    joined = recording.joined(session)
    urls = (reverse(f"proctor:recording_{track}", args=[session.pk]) for track in ("file", "screen"))
    response = JsonResponse(recording.manifest(joined, *urls))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def recording_file(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponseBase:
    """The attempt's WebM (camera and microphone as received), seekable with range requests.

    The file as last joined (by the manifest, which the player reads first), so a player's range requests all
    read one file even while a running attempt's pieces grow; joined here only if it never was.
    """
    return _joined_file(request, session_id, "path")


@login_required
def recording_screen(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponseBase:
    """The attempt's shared screen (VP8 as received, about 1 fps) on the same time 0 as :func:`recording_file`."""
    return _joined_file(request, session_id, "screen_path")


def _joined_file(request: AuthenticatedHttpRequest, session_id: int, field: str) -> HttpResponseBase:
    session = _session(request, session_id)
    joined = AttemptRecording.objects.filter(session=session).first() or recording.joined(session)
    path = stored_path(getattr(joined, field)) if joined is not None else None
    if path is None:
        raise Http404
    return ranged_file_response(request, path, WEBM)
