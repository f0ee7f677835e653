"""Pages: the curator's (or administrator's) list of questions due, and the per-curator report with CSV."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from server.accounts.http import AuthenticatedHttpRequest
from server.query_values import query_date
from server.spreadsheet import csv_response

from . import queries

DEFAULT_PERIOD_DAYS = 30


def _require_access(request: AuthenticatedHttpRequest) -> None:
    if not queries.may_use(request.user):
        raise PermissionDenied


def _period(request: HttpRequest) -> tuple[datetime, datetime, str, str]:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both inclusive, local dates); default: the last 30 days."""
    today = timezone.localdate()
    start = query_date(request.GET.get("from")) or today - timedelta(days=DEFAULT_PERIOD_DAYS)
    end = query_date(request.GET.get("to")) or today
    if end < start:
        start, end = end, start
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return since, until, start.isoformat(), end.isoformat()


@require_GET
@login_required
def due(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_access(request)
    now = timezone.now()
    context = {
        "overdue": queries.overdue(request.user, now),
        "due_soon": queries.due_soon(request.user, now),
        "all_curators": queries.may_see_all(request.user),
        "deadline_hours": settings.CHAT_ANSWER_DEADLINE_HOURS,
        "now": now,
    }
    return render(request, "chat/answers.html", context)


@require_GET
@login_required
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_access(request)
    since, until, start, end = _period(request)
    rows = queries.report(request.user, since, until, timezone.now())
    context = {"rows": rows, "start": start, "end": end, "all_curators": queries.may_see_all(request.user)}
    return render(request, "chat/answers_report.html", context)


@require_GET
@login_required
def report_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_access(request)
    since, until, start, end = _period(request)
    rows = queries.report(request.user, since, until, timezone.now())
    header = [
        _("Куратор"),
        _("Вопросов"),
        _("Отвечено в срок"),
        _("Просрочено"),
        _("Ждут ответа"),
        _("Медиана ответа, ч"),
    ]
    return csv_response(
        f"answers-{start}-{end}.csv",
        header,
        ([str(r.curator), r.questions, r.answered_in_time, r.overdue, r.waiting, r.median_answer_hours] for r in rows),
    )
