"""The chat page: the browser app (web/static/js/chat/) talks to /ws/chat/ and the HTTP endpoints.

The app's texts come from the JavaScript catalogue (djangojs.po), loaded before it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from server.accounts.http import AuthenticatedHttpRequest

from .attachments.conf import LIMITS as ATTACHMENT_LIMITS
from .conf import LIMITS, REPORT_REASON_MAX_CHARS, SUBSCRIBE_MAX_ROOMS
from .models import Room
from .sla import queries as answers


@require_GET
@login_required
def page(request: AuthenticatedHttpRequest) -> HttpResponse:
    config = {
        "user": request.user.pk,
        "user_name": str(request.user),
        "csrf_token": get_token(request),
        "max_text_chars": LIMITS.max_text_chars,
        "max_bytes": ATTACHMENT_LIMITS.max_bytes,
        "per_message": ATTACHMENT_LIMITS.per_message,
        "subscribe_max_rooms": SUBSCRIBE_MAX_ROOMS,
        "report_reason_max_chars": REPORT_REASON_MAX_CHARS,
        "kinds": {kind: str(label) for kind, label in Room.Kind.choices},
    }
    show_answers = answers.may_use(request.user)
    overdue = answers.overdue(request.user, timezone.now()).count() if show_answers else 0
    context = {"config": config, "show_answers": show_answers, "overdue": overdue}
    return render(request, "chat/chat.html", context)
