"""The lesson page's recordings (with the lesson chat of the same minutes) and their files, permission-checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from chat.payloads import MessagePayload
from chat.queries import messages_between
from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import User
from server.ranged_file import ranged_file_response
from server.ws import ProtocolError

from . import recordings
from .access import can_watch_recordings
from .models import Lesson, Recording

SHOWN_RECORDINGS = 10
WEBM = "video/webm"


def clock(seconds: float) -> str:
    """«12:05», or «1:02:05» past an hour."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass
class ChatLine:
    at_seconds: float  # into the recording
    author: str
    text: str

    @property
    def clock(self) -> str:
        return clock(self.at_seconds)


@dataclass
class RecordingItem:
    recording: Recording
    lesson_url: str = ""
    screen_url: str = ""
    chat: list[ChatLine] | None = None  # None: the user may not read the lesson's chat

    @property
    def clock_duration(self) -> str:
        return clock(self.recording.duration_seconds or 0)


def _chat_lines(user: User, recording: Recording) -> list[ChatLine] | None:
    room = recording.run.chat_room_id
    if room is None:
        return []
    until = recording.stopped_at or timezone.now()
    try:
        messages: list[MessagePayload] = messages_between(user, room, recording.started_at, until)
    except ProtocolError:
        return None
    return [
        ChatLine(
            at_seconds=max(0.0, (dt.datetime.fromisoformat(m["created_at"]) - recording.started_at).total_seconds()),
            author=m["author"]["name"] if m["author"] else "",
            text=m["text"],
        )
        for m in messages
    ]


def recordings_on_page(user: User, lesson: Lesson) -> list[RecordingItem]:
    """The lesson's recordings the page shows (not the one being made now), newest first; [] if not allowed."""
    if not can_watch_recordings(user, lesson):
        return []
    found = (
        Recording.objects.filter(run__lesson=lesson)
        .exclude(status__in=[Recording.Status.PURGED, Recording.Status.RECORDING])
        .select_related("run")
        .order_by("-started_at")[:SHOWN_RECORDINGS]
    )
    items = []
    for recording in found:
        item = RecordingItem(recording)
        if recording.status == Recording.Status.READY:
            item.lesson_url = reverse("lessons:recording_file", args=[recording.folder, recordings.LESSON_FILE])
            if recording.has_screen:
                item.screen_url = reverse("lessons:recording_file", args=[recording.folder, recordings.SCREEN_FILE])
            item.chat = _chat_lines(user, recording)
        items.append(item)
    return items


def recent_recordings(user: User, lessons: list[Lesson]) -> list[Recording]:
    """Ready recordings of these lessons that the user may watch, newest first (the schedule links to them)."""
    found = (
        Recording.objects.filter(run__lesson__in=lessons, status=Recording.Status.READY)
        .select_related("run__lesson__group")
        .order_by("-started_at")[:SHOWN_RECORDINGS]
    )
    return [r for r in found if can_watch_recordings(user, r.run.lesson)]


@login_required
def recording_file(request: AuthenticatedHttpRequest, folder: str, name: str) -> HttpResponseBase:
    """``lesson.webm`` / ``screen.webm`` of a ready recording, to those who may watch the lesson's recordings."""
    recording = get_object_or_404(Recording.objects.select_related("run__lesson__group"), folder=folder)
    if not can_watch_recordings(request.user, recording.run.lesson):
        raise PermissionDenied
    path = recordings.served_file(recording, name)
    if path is None:
        raise Http404
    return ranged_file_response(request, path, WEBM)
