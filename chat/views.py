"""HTTP reads of the chat (same permission checks as the socket): room list and history pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from server.accounts.http import AuthenticatedHttpRequest
from server.query_values import strict_int
from server.ws import ProtocolError

from . import queries
from .http_errors import error_response


def _int_param(request: HttpRequest, name: str, low: int, high: int) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    value = strict_int(raw, low, high)
    if value is None:
        raise ProtocolError("bad_param", f"{name}: an integer between {low} and {high}")
    return value


@require_GET
@login_required
def room_list(request: AuthenticatedHttpRequest) -> JsonResponse:
    return JsonResponse({"rooms": queries.rooms_for(request.user)})


@require_GET
@login_required
def room_messages(request: AuthenticatedHttpRequest, room_id: int) -> JsonResponse:
    """``GET /chat/rooms/<id>/messages?before=<seq>&limit=<n>``: a page of history, oldest first."""
    try:
        before = _int_param(request, "before", 1, 2**53)
        limit = _int_param(request, "limit", 1, 100) or 50
        return JsonResponse(queries.history(request.user, room_id, before, limit))
    except ProtocolError as error:
        return error_response(error, room_id)
