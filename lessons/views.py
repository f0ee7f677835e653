"""Schedule, the lesson room page, planning lessons, the attendance sheet and its CSV export."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from server.accounts import audit
from server.accounts.http import AuthenticatedHttpRequest
from server.spreadsheet import csv_response

from .access import can_plan_lessons, can_view_attendance, lesson_role, visible_lessons
from .attendance import sheet
from .forms import LessonForm
from .models import Lesson, LessonRun
from .recording_views import recent_recordings, recordings_on_page
from .schedule import current_occurrence, ended_runs, occurrences, status

SCHEDULE_DAYS = 7


@login_required
def schedule(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    lessons = list(visible_lessons(user))
    until = day_start + dt.timedelta(days=SCHEDULE_DAYS)
    ended = ended_runs(lessons, day_start, until)
    items = []
    for occurrence in occurrences(lessons, day_start, until):
        lesson = occurrence.lesson
        may_join = lesson_role(user, lesson) is not None
        was_ended = (lesson.pk, occurrence.starts_at) in ended
        items.append(
            {
                "occurrence": occurrence,
                "status": status(occurrence, ended=was_ended, may_join=may_join, now=now),
                "can_see_attendance": can_view_attendance(user, lesson),
            }
        )
    recent = LessonRun.objects.filter(lesson__in=lessons, ended_at__isnull=False).select_related("lesson")[:20]
    runs = [r for r in recent if can_view_attendance(user, r.lesson)]
    context = {
        "items": items,
        "can_plan": can_plan_lessons(user),
        "runs": runs,
        "days": SCHEDULE_DAYS,
        "recordings": recent_recordings(user, lessons),
    }
    return render(request, "lessons/schedule.html", context)


@login_required
def room(request: AuthenticatedHttpRequest, lesson_id: int) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.select_related("group", "teacher"), pk=lesson_id)
    role = lesson_role(request.user, lesson)
    occurrence = current_occurrence(lesson) if role is not None else None
    ended = occurrence is not None and bool(ended_runs([lesson], occurrence.starts_at, occurrence.ends_at))
    live = occurrence is not None and not ended
    shown = [] if live else recordings_on_page(request.user, lesson)
    if role is None and not shown:  # a curator or a parent comes only for a held lesson's recordings
        raise Http404
    context = {
        "lesson": lesson,
        "role": role or "",
        "occurrence": occurrence if live else None,
        "ended": ended,
        "chat_url": reverse("chat:page"),
        "recordings": shown,
        "recording_retention_days": settings.LESSONS_RECORDING_RETENTION_DAYS,
    }
    return render(request, "lessons/room.html", context)


@login_required
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can_plan_lessons(request.user):
        raise PermissionDenied
    form = LessonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        lesson = form.save()
        audit.record("lessons.planned", actor=request.user, request=request, lesson=lesson.pk)
        messages.success(request, _("Урок добавлен в расписание."))
        return redirect("lessons:schedule")
    return render(request, "lessons/plan.html", {"form": form})


def _run_for(request: AuthenticatedHttpRequest, run_id: int) -> LessonRun:
    run = get_object_or_404(LessonRun.objects.select_related("lesson__group", "lesson__teacher"), pk=run_id)
    if not can_view_attendance(request.user, run.lesson):
        raise Http404
    return run


@login_required
def attendance(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = _run_for(request, run_id)
    return render(request, "lessons/attendance.html", {"run": run, "rows": sheet(run)})


@login_required
def attendance_csv(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = _run_for(request, run_id)
    header = [
        _("ученик"),
        _("логин"),
        _("вошёл"),
        _("вышел"),
        _("минут присутствовал"),
        _("минут со связью"),
        _("опоздал"),
        _("статус"),
        _("видеосвязь установлена"),
    ]
    status_labels = {"present": _("присутствовал"), "late": _("опоздал"), "absent": _("отсутствовал")}
    yes, no, removed = _("да"), pgettext("yes/no", "нет"), _("удалён учителем")
    rows = [
        [
            str(row.student),
            row.student.username,
            row.first_joined,
            row.last_left,
            round(row.minutes_present, 1),
            round(row.minutes_with_media, 1),
            yes if row.late else no,
            status_labels[row.status] + (f" ({removed})" if row.removed else ""),
            yes if row.media_connected else no,
        ]
        for row in sheet(run)
    ]
    response = csv_response(f"attendance-{run.pk}.csv", header, rows)
    audit.record("lessons.attendance_export", actor=request.user, request=request, run=run.pk)
    return response
