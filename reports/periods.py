"""Reporting periods: the fortnight of the activity report, and a week, month or term of attendance.

A period is a range of whole days in the school's time zone; its ``since``/``until`` are the aware
datetimes the queries use (``until`` exclusive). Terms start on the dates in ``REPORTS_TERM_STARTS``
(``MM-DD``, the Russian school's quarters by default) and last until the next one starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from server.query_values import query_date

KINDS = ("fortnight", "week", "month", "term")


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: dt.date
    last_day: dt.date  # inclusive

    @property
    def since(self) -> dt.datetime:
        return _local_midnight(self.first_day)

    @property
    def until(self) -> dt.datetime:
        return _local_midnight(self.last_day + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.first_day:%d.%m.%Y} — {self.last_day:%d.%m.%Y}"

    @property
    def slug(self) -> str:
        return f"{self.first_day:%Y%m%d}-{self.last_day:%Y%m%d}"

    def contains(self, moment: dt.datetime) -> bool:
        return self.since <= moment < self.until

    def previous(self) -> Period:
        return period(self.kind, self.first_day - dt.timedelta(days=1))

    def next(self) -> Period:
        return period(self.kind, self.last_day + dt.timedelta(days=1))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period(kind: str, day: dt.date) -> Period:
    """The period of this kind that contains ``day`` (a fortnight ends with the week of ``day``)."""
    monday = day - dt.timedelta(days=day.weekday())
    if kind == "fortnight":
        return Period(kind, monday - dt.timedelta(weeks=1), monday + dt.timedelta(days=6))
    if kind == "week":
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return Period(kind, day.replace(day=1), following - dt.timedelta(days=1))
    if kind == "term":
        return _term(day)
    raise ValueError(kind)


def _term(day: dt.date) -> Period:
    starts = sorted(
        dt.date(year, int(month), int(date))
        for year in (day.year - 1, day.year, day.year + 1)
        for month, date in (start.split("-") for start in settings.REPORTS_TERM_STARTS)
    )
    first = max(start for start in starts if start <= day)
    following = min(start for start in starts if start > day)
    return Period("term", first, following - dt.timedelta(days=1))


def from_query(kind: str | None, day: str | None, default_kind: str) -> Period:
    """The period a report's URL asks for (``?period=month&date=2026-09-15``); bad values fall back."""
    if kind not in KINDS:
        kind = default_kind
    return period(kind, query_date(day) or timezone.localdate())


def kind_label(kind: str) -> str:
    return {"fortnight": _("две недели"), "week": _("неделя"), "month": _("месяц"), "term": _("четверть")}[kind]
