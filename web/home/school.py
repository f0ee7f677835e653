"""The school at a glance (director, administrator) and the curator's groups: attendance and logins to hand out."""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lessons.models import LessonRun
from server.accounts.models import User
from server.school.models import StudyGroup

from . import chats, exams
from .attendance import groups_week, week_start
from .items import Figure, Item


def optional_url(name: str) -> str:
    """A page another part of the product may not have yet (the reports): linked only when it exists."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def group_attendance(groups: list[StudyGroup], now: dt.datetime) -> list[Item]:
    weeks = groups_week(groups, now)
    items = []
    for group in groups:
        held, present, places = weeks[group.pk]
        if held:
            rate = round(100 * present / places) if places else 0
            detail = _("уроков: %(held)s, посещаемость %(rate)s%%") % {"held": held, "rate": rate}
        else:
            detail = _("уроков на этой неделе ещё не было")
        items.append(Item(group.name, detail, reverse("school:group_detail", args=[group.pk])))
    return items


def logins_to_print(curator: User, groups: list[StudyGroup]) -> list[Item]:
    """Students of the curator's groups and their parents who have never logged in with the issued password."""
    waiting = (
        User.objects.filter(must_change_password=True, last_login__isnull=True, is_active=True)
        .filter(study_groups__in=groups)
        .distinct()
        .count()
    )
    parents = (
        User.objects.filter(must_change_password=True, last_login__isnull=True, is_active=True)
        .filter(child_links__child__study_groups__in=groups)
        .distinct()
        .count()
    )
    if not waiting + parents:
        return []
    detail = _("учеников: %(students)s, родителей: %(parents)s") % {"students": waiting, "parents": parents}
    return [Item(_("Ещё не входили в систему"), detail, reverse("import_users"), _("Лист логинов"))]


def glance(now: dt.datetime) -> list[Figure]:
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    overdue = chats.overdue_count()
    return [
        Figure(_("Входили сегодня"), User.objects.filter(last_login__gte=day_start).count()),
        Figure(
            _("Уроков проведено за неделю"),
            LessonRun.objects.filter(starts_at__gte=week_start(now), starts_at__lt=now).count(),
            reverse("lessons:schedule"),
        ),
        Figure(_("Экзаменов открыто сейчас"), exams.open_exams_count(now), reverse("proctor:exam_list")),
        Figure(_("Просроченных вопросов родителей"), overdue, reverse("chat:answers"), urgent=overdue > 0),
    ]
