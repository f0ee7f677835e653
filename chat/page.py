"""The chat page: the browser app (web/static/js/chat/) talks to /ws/chat/ and the HTTP endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from .attachments.conf import LIMITS as ATTACHMENT_LIMITS
from .conf import LIMITS
from .sla.queries import may_use as may_see_answers


@require_GET
@login_required
@ensure_csrf_cookie
def page(request: HttpRequest) -> HttpResponse:
    config = {
        "user": request.user.pk,
        "max_text_chars": LIMITS.max_text_chars,
        "max_bytes": ATTACHMENT_LIMITS.max_bytes,
        "per_message": ATTACHMENT_LIMITS.per_message,
    }
    return render(request, "chat/chat.html", {"config": config, "show_answers": may_see_answers(request.user)})
