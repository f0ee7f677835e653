"""Janus's event handler (sampleevh) POSTs WebRTC events here; "webrtcup" marks media as connected.

Attendance counts a student present while their lesson socket is open; these events add whether their
browser actually got media through (a student whose network blocks UDP and has no TURN shows "нет").
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

from .models import Presence

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


def connected_sessions(events: list) -> set[int]:
    found = set()
    for event in events[:MAX_EVENTS]:
        if not isinstance(event, dict) or event.get("type") != WEBRTC_EVENT:
            continue
        body = event.get("event")
        if isinstance(body, dict) and body.get("connection") == "webrtcup" and type(event.get("session_id")) is int:
            found.add(event["session_id"])
    return found


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
    sessions = connected_sessions(events)
    if sessions:
        Presence.objects.filter(janus_session__in=sessions, media_up_at__isnull=True).update(media_up_at=timezone.now())
    return HttpResponse(status=204)
