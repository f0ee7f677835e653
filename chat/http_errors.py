"""How the chat's HTTP endpoints answer a refused request.

A room the user may not read answers exactly like a room that does not exist — 404 with the
same body — as every object URL of the platform does (docs/accounts.md), so a URL never tells an
outsider which rooms exist. The socket keeps its ``forbidden`` code: there the user names rooms
from their own room list, and the distinction helps a client, not an outsider.
"""

from __future__ import annotations

from django.http import JsonResponse

from server.ws import ProtocolError

from .attachments.conf import MB
from .attachments.service import QuotaExceeded

HIDDEN = {"not_found", "forbidden"}
STATUS = {
    "read_only": 403,
    "muted": 403,
    "rate_limited": 429,
    "too_large": 413,
    "quota_exceeded": 413,
    "unsupported_type": 415,
}


def error_response(error: ProtocolError, room_id: int) -> JsonResponse:
    """The JSON error for ``error`` raised while serving a request about room ``room_id``."""
    if error.code in HIDDEN:
        return JsonResponse(
            {"error": "not_found", "detail": f"room {room_id} does not exist or you may not read it"}, status=404
        )
    body: dict[str, object] = {"error": error.code, "detail": error.detail}
    if isinstance(error, QuotaExceeded):
        body.update(scope=error.scope, limit_mb=round(error.limit / MB, 2), used_bytes=error.used)
    return JsonResponse(body, status=STATUS.get(error.code, 400))
