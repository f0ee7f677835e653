"""HTTP: upload to a room, download and thumbnail — each checks room membership first.

Anyone who may not see an attachment gets 404, whether it exists or not.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from chat.http_errors import error_response
from server.accounts.http import AuthenticatedHttpRequest
from server.query_values import strict_int
from server.ws import ProtocolError

from . import payloads, service, storage
from .conf import LIMITS, MB
from .models import Attachment

MULTIPART_OVERHEAD = 64 * 1024
INLINE_KINDS = {Attachment.Kind.IMAGE, Attachment.Kind.AUDIO, Attachment.Kind.VIDEO}


@require_POST
@login_required
def upload(request: AuthenticatedHttpRequest, room_id: int) -> JsonResponse:
    """``POST /chat/rooms/<id>/attachments/`` (multipart, field ``file``, CSRF token required)."""
    declared = strict_int(request.META.get("CONTENT_LENGTH"), high=10**16 - 1) or 0
    if declared > LIMITS.largest + MULTIPART_OVERHEAD:  # refuse before parsing
        return JsonResponse(
            {"error": "too_large", "detail": f"files are limited to {LIMITS.largest // MB} MB"}, status=413
        )
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse({"error": "missing_file", "detail": "send the file in the form field 'file'"}, status=400)
    try:
        attachment = service.upload(request.user, room_id, file)
    except ProtocolError as error:  # UploadRefused included: 413, 415 or 400
        return error_response(error, room_id)
    return JsonResponse(payloads.payload(attachment), status=201)


def _serve(request: AuthenticatedHttpRequest, attachment_id: int, thumbnail: bool) -> FileResponse:
    attachment = service.readable(request.user, attachment_id)
    stored = attachment and (attachment.thumbnail if thumbnail else attachment.stored_as)
    if attachment is None or not stored:
        raise Http404
    try:
        handle = storage.media_path(stored).open("rb")
    except OSError as missing:
        raise Http404 from missing
    inline = thumbnail or attachment.kind in INLINE_KINDS
    response = FileResponse(
        handle,
        content_type="image/jpeg" if thumbnail else attachment.mime,
        as_attachment=not inline,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@login_required
def download(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    return _serve(request, attachment_id, thumbnail=False)


@require_GET
@login_required
def thumbnail(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    return _serve(request, attachment_id, thumbnail=True)
