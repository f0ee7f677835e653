"""The retention periods the purge jobs keep personal data for."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def retention_period(setting: str) -> timedelta:
    """The period named by ``setting`` (whole days); refuses anything under a day.

    Settings refuse 0 when they load (``env_positive_int``); this guards the purges themselves, so a
    period that reaches them some other way (an override, a shell) can never mean "delete everything now".
    """
    days = getattr(settings, setting)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ImproperlyConfigured(f"{setting} must be a whole number of days ≥ 1 (got {days!r})")
    return timedelta(days=days)
