"""Janus's event handler (sampleevh) POSTs WebRTC events here; "webrtcup" and "hangup" time the media.

Attendance counts a student present while their lesson socket is open; these events add whether and for
how long their browser actually got media through (a student whose network blocks UDP and has no TURN
shows "нет"; one whose connection drops and comes back gets each stretch counted as a
:class:`~lessons.models.MediaInterval`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import MediaInterval, Presence

log = logging.getLogger(__name__)
WEBRTC_EVENT = 16
MAX_EVENTS = 1000


def authorised(request: HttpRequest) -> bool:
    """Basic auth ``janus:<JANUS_API_SECRET>``, as written into the event handler's config."""
    header = request.headers.get("Authorization", "")
    if not settings.JANUS_API_SECRET or not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == "janus" and hmac.compare_digest(password.encode(), settings.JANUS_API_SECRET.encode())


MEDIA_CHANGES = {"webrtcup": True, "hangup": False}


def media_changes(events: list) -> list[tuple[int, bool]]:
    """(Janus session, media up?) for each webrtcup/hangup event, in the order Janus sent them."""
    found = []
    for event in events[:MAX_EVENTS]:
        if not isinstance(event, dict) or event.get("type") != WEBRTC_EVENT:
            continue
        body = event.get("event")
        if not isinstance(body, dict) or type(event.get("session_id")) is not int:
            continue
        up = MEDIA_CHANGES.get(str(body.get("connection")))
        if up is not None:
            found.append((event["session_id"], up))
    return found


def record_media(session: int, up: bool) -> None:
    """Open a media interval on "webrtcup" (unless one is open), close it on "hangup"."""
    now = timezone.now()
    presences = Presence.objects.filter(janus_session=session)  # events may arrive after the page closed
    if up:
        presences.filter(media_up_at__isnull=True).update(media_up_at=now)
        for presence in presences.filter(left_at__isnull=True):
            if not presence.media_intervals.filter(down_at__isnull=True).exists():
                MediaInterval.objects.create(presence=presence, up_at=now)
    else:
        MediaInterval.objects.filter(presence__janus_session=session, down_at__isnull=True).update(down_at=now)


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    if not authorised(request):
        return HttpResponse(status=401)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponse("bad JSON", status=400)
    events = payload if isinstance(payload, list) else [payload]
    for session, up in media_changes(events):
        record_media(session, up)
    return HttpResponse(status=204)
