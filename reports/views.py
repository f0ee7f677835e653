"""The report pages; each also downloads as CSV, XLSX or PDF (``?format=``), built from the same table."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lessons.models import LessonRun
from server.accounts import audit
from server.accounts.http import AuthenticatedHttpRequest
from server.accounts.models import Role, User
from server.query_values import strict_int
from server.school.models import StudyGroup

from . import access, actions, periods
from .activity import activity, by_role
from .attendance import closed_period_of, closed_periods, group_totals, student_totals
from .formats import FORMATS, Table, download
from .models import AbsenceReason
from .teachers import teachers_activity


def _period(request: AuthenticatedHttpRequest, default_kind: str) -> periods.Period:
    return periods.from_query(request.GET.get("period"), request.GET.get("date"), default_kind)


def _link(request: AuthenticatedHttpRequest, **changes: str) -> str:
    query = {key: value for key, value in request.GET.items() if key != "format"}
    query.update(changes)
    return "?" + urlencode(query)


def _respond(
    request: AuthenticatedHttpRequest, table: Table, period: periods.Period, template: str, **context: Any
) -> HttpResponse:
    """The page, or the same table as a file; every download is audited (it may leave the school)."""
    kind = request.GET.get("format", "")
    if kind in FORMATS:
        audit.record("reports.download", actor=request.user, request=request, report=table.filename, format=kind)
        return download(table, kind)
    context.update(
        {
            "table": table,
            "period": period,
            "kinds": [(k, periods.kind_label(k), _link(request, period=k)) for k in periods.KINDS if k != "fortnight"],
            "previous_url": _link(request, period=period.kind, date=period.previous().first_day.isoformat()),
            "next_url": _link(request, period=period.kind, date=period.next().first_day.isoformat()),
            "downloads": [(k.upper(), _link(request, format=k)) for k in FORMATS],
            "rows": [(table.is_highlighted(i), row) for i, row in enumerate(table.rows)],
        }
    )
    return render(request, template, context)


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.may_read_any_report(user):
        raise Http404
    context = {
        "school_activity": access.may_read_school_activity(user),
        "activity_groups": access.activity_groups(user),
        "attendance_groups": access.attendance_groups(user),
        "students": access.attendance_students(user) if user.has_role(Role.PARENT, Role.STUDENT) else [],
        "teachers": access.activity_staff(user).exists(),
    }
    return render(request, "reports/index.html", context)


@login_required
def school_activity(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.may_read_school_activity(request.user):
        raise Http404
    return _activity(request, None)


@login_required
def group_activity(request: AuthenticatedHttpRequest, group_id: int) -> HttpResponse:
    return _activity(request, get_object_or_404(access.activity_groups(request.user), pk=group_id))


def _activity(request: AuthenticatedHttpRequest, group: StudyGroup | None) -> HttpResponse:
    period = periods.from_query("fortnight", request.GET.get("date"), "fortnight")
    rows = activity(group, period)
    where = group.name if group else _("вся школа")
    roles = {value: str(label) for value, label in Role.choices}
    if request.GET.get("table") == "roles":
        totals = by_role(rows)
        table = Table(
            title=_("Активность по ролям: %(where)s") % {"where": where},
            period=period.label,
            header=[_("роль"), _("человек"), _("неактивных"), _("входов"), _("уроков"), _("сообщений"), _("экзаменов")],
            rows=[[roles[t.role], t.people, t.inactive, t.logins, t.lessons, t.messages, t.exams] for t in totals],
            filename=f"activity-roles-{period.slug}",
        )
    else:
        yes, no = _("да"), _("нет")
        table = Table(
            title=_("Активность за две недели: %(where)s") % {"where": where},
            period=period.label,
            header=[
                _("ФИО"),
                _("логин"),
                _("роль"),
                _("входов"),
                _("уроков посещено"),
                _("сообщений"),
                _("экзаменов"),
                _("неактивен"),
            ],
            rows=[
                [
                    str(r.person),
                    r.person.username,
                    roles[r.role],
                    r.logins,
                    r.lessons,
                    r.messages,
                    r.exams,
                    yes if r.inactive else no,
                ]
                for r in rows
            ],
            highlighted={i for i, r in enumerate(rows) if r.inactive},
            filename=f"activity-{period.slug}",
        )
    context = {"roles_url": _link(request, table="roles"), "people_url": _link(request, table="people")}
    return _respond(request, table, period, "reports/activity.html", group=group, **context)


@login_required
def group_attendance(request: AuthenticatedHttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(access.attendance_groups(request.user), pk=group_id)
    period = _period(request, "month")
    totals = group_totals(group, period)
    table = Table(
        title=_("Посещаемость группы %(group)s") % {"group": group.name},
        period=f"{periods.kind_label(period.kind)}: {period.label}",
        header=[
            _("ученик"),
            _("логин"),
            _("уроков"),
            _("присутствовал"),
            _("из них опоздал"),
            _("отсутствовал"),
            _("из них по уважительной причине"),
            _("минут на уроках"),
            _("минут со связью"),
        ],
        rows=[
            [
                str(t.student),
                t.student.username,
                t.lessons,
                t.present,
                t.late,
                t.absent,
                t.excused,
                t.minutes,
                t.minutes_with_media,
            ]
            for t in totals
        ],
        filename=f"attendance-{group.pk}-{period.slug}",
    )
    context = {
        "group": group,
        "students": [t.student for t in totals],
        "closed": closed_periods(group, period),
        "may_close": access.may_edit_attendance(request.user, group),
    }
    return _respond(request, table, period, "reports/group_attendance.html", **context)


@login_required
def student_attendance(request: AuthenticatedHttpRequest, student_id: int) -> HttpResponse:
    student = get_object_or_404(access.attendance_students(request.user), pk=student_id)
    period = _period(request, "month")
    totals = student_totals(student, period)
    status = {"present": _("присутствовал"), "late": _("опоздал"), "absent": _("отсутствовал")}
    table = Table(
        title=_("Посещаемость: %(student)s") % {"student": student},
        period=f"{periods.kind_label(period.kind)}: {period.label}",
        header=[
            _("начало"),
            _("урок"),
            _("группа"),
            _("отметка"),
            _("минут на уроке"),
            _("минут со связью"),
            _("причина отсутствия"),
            _("примечание"),
        ],
        rows=[
            [
                m.run.starts_at,
                m.run.lesson.title,
                m.run.lesson.group.name,
                status[m.row.status],
                m.row.minutes_present,
                m.row.minutes_with_media,
                m.reason.get_reason_display() if m.reason else "",
                m.reason.note if m.reason else "",
            ]
            for m in totals.marks
        ],
        filename=f"attendance-student-{student.pk}-{period.slug}",
    )
    editable = {
        m.run.pk
        for m in totals.marks
        if m.row.status == "absent"
        and access.may_edit_attendance(request.user, m.run.lesson.group)
        and closed_period_of(m.run.lesson.group, m.run) is None
    }
    lines = [(m, values, m.run.pk in editable) for m, values in zip(totals.marks, table.rows, strict=True)]
    context = {"student": student, "totals": totals, "lines": lines, "reasons": AbsenceReason.Reason.choices}
    return _respond(request, table, period, "reports/student_attendance.html", **context)


@login_required
@require_POST
def set_absence_reason(request: AuthenticatedHttpRequest) -> HttpResponse:
    run = get_object_or_404(
        LessonRun.objects.select_related("lesson__group"),
        pk=_int(request.POST.get("run")),
        lesson__group__in=access.attendance_groups(request.user),
    )
    student = get_object_or_404(access.attendance_students(request.user), pk=_int(request.POST.get("student")))
    on_sheet = (
        run.lesson.group.students.filter(pk=student.pk).exists() or run.participants.filter(user=student).exists()
    )
    if not on_sheet or not access.may_edit_attendance(request.user, run.lesson.group):
        raise Http404
    reason = request.POST.get("reason", "")
    if reason and reason not in AbsenceReason.Reason.values:
        return HttpResponse(_("Неизвестная причина."), status=400)
    try:
        actions.set_absence_reason(request.user, run, student, reason, request.POST.get("note", "")[:200])
    except actions.PeriodClosed:
        messages.error(request, _("Период закрыт: посещаемость в нём больше не меняется."))
        return _back_to_student(request, student)
    messages.success(request, _("Причина отсутствия сохранена."))
    return _back_to_student(request, student)


def _back_to_student(request: AuthenticatedHttpRequest, student: User) -> HttpResponse:
    response = redirect("reports:student_attendance", student_id=student.pk)
    query = {"period": request.POST.get("period", "month"), "date": request.POST.get("date", "")}
    response["Location"] += "?" + urlencode(query)
    return response


@login_required
@require_POST
def close_period(request: AuthenticatedHttpRequest, group_id: int) -> HttpResponse:
    group = get_object_or_404(access.attendance_groups(request.user), pk=group_id)
    if not access.may_edit_attendance(request.user, group):
        raise Http404
    period = periods.from_query(request.POST.get("period"), request.POST.get("date"), "month")
    if period.last_day >= timezone.localdate():
        messages.error(request, _("Закрыть можно только прошедший период."))
    else:
        actions.close_period(request.user, group, period)
        messages.success(request, _("Период %(period)s закрыт.") % {"period": period.label})
    response = redirect("reports:group_attendance", group_id=group.pk)
    response["Location"] += "?" + urlencode({"period": period.kind, "date": period.first_day.isoformat()})
    return response


@login_required
def teachers(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = access.activity_staff(request.user)
    if not staff.exists():
        raise Http404
    period = _period(request, "month")
    rows = teachers_activity(staff, period, timezone.now())
    table = Table(
        title=_("Активность учителей и кураторов"),
        period=f"{periods.kind_label(period.kind)}: {period.label}",
        header=[
            _("ФИО"),
            _("логин"),
            _("уроков проведено"),
            _("посещаемость отмечена"),
            _("экзаменов проверено"),
            _("вопросов родителей"),
            _("отвечено в срок"),
            _("просрочено"),
        ],
        rows=[
            [
                str(r.teacher),
                r.teacher.username,
                r.lessons_held,
                r.attendance_taken,
                r.exams_reviewed,
                r.questions,
                r.answered_in_time,
                r.overdue,
            ]
            for r in rows
        ],
        highlighted={i for i, r in enumerate(rows) if r.overdue},
        filename=f"teachers-{period.slug}",
    )
    return _respond(request, table, period, "reports/teachers.html")


def _int(value: str | None) -> int:
    number = strict_int(value)
    if number is None:
        raise Http404
    return number
