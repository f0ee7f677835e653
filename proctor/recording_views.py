"""The recording of an exam attempt for the review player: its manifest and its WebM (range requests), both
permission-checked like the session's other evidence.

The views are async: a join (:func:`proctor.recording.joined`, seconds for a long attempt) runs in a worker
thread of its own (:func:`_joined`), not in the one thread that daphne's sync views and the sockets' database
calls share, so nobody else waits for it.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
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


async def _joined(session: ExamSession) -> AttemptRecording | None:
    """:func:`proctor.recording.joined` in a worker thread of its own (its database connection closed around the
    call when stale, as for a socket's)."""
    return await database_sync_to_async(recording.joined, thread_sensitive=False)(session)


@login_required
async def recording_manifest(request: AuthenticatedHttpRequest, session_id: int) -> JsonResponse:
    """``{"started_at", "duration", "camera", "screen", "waveform"}`` (docs/proctoring.md, "Recording")."""
    session = await sync_to_async(_session)(request, session_id)
    joined = await _joined(session)
    urls = (reverse(f"proctor:recording_{track}", args=[session.pk]) for track in ("file", "screen"))
    response = JsonResponse(recording.manifest(joined, *urls))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
async def recording_file(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponseBase:
    """The attempt's WebM (camera and microphone as received), seekable with range requests.

    The file as last joined (by the manifest, which the player reads first), so a player's range requests all
    read one file even while a running attempt's pieces grow; joined here only if it never was.
    """
    return await _joined_file(request, session_id, "path")


@login_required
async def recording_screen(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponseBase:
    """The attempt's shared screen (VP8 as received, about 1 fps) on the same time 0 as :func:`recording_file`."""
    return await _joined_file(request, session_id, "screen_path")


async def _joined_file(request: AuthenticatedHttpRequest, session_id: int, field: str) -> HttpResponseBase:
    session = await sync_to_async(_session)(request, session_id)
    joined = await AttemptRecording.objects.filter(session=session).afirst() or await _joined(session)
    path = stored_path(getattr(joined, field)) if joined is not None else None
    if path is None:
        raise Http404
    return ranged_file_response(request, path, WEBM)
