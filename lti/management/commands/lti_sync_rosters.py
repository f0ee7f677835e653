"""``manage.py lti_sync_rosters``: every LMS course's group brought in line with its roster (NRPS), e.g. nightly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lti import roster
from lti.models import Course


class Command(BaseCommand):
    help = "Sync the study groups of LMS courses with their rosters (LTI Names and Role Provisioning)."

    def handle(self, *args: Any, **options: Any) -> None:
        for course in (
            Course.objects.select_related("platform", "group").filter(platform__active=True).exclude(memberships_url="")
        ):
            result = roster.sync_quietly(course)
            outcome = "failed (see the log)" if result is None else f"{result.placed} placed, {result.removed} removed"
            self.stdout.write(f"{course}: {outcome}")
