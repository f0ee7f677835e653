"""Names and Role Provisioning Services: the course group's members follow the LMS course.

A sync reads every page of the course's memberships and then, in one transaction: each active member is found
or made (:func:`lti.people.person`) and placed by their roles; a member the LMS lists as inactive or no longer
lists at all leaves the group. Only people who came from *this platform* ever leave: members the school added
by hand stay. Runs on each teacher's launch and with ``manage.py lti_sync_rosters``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from django.db import transaction
from django.utils import timezone
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService

from server.accounts import audit

from . import people, roles
from .models import Course, PlatformAccount
from .tool import service_connector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    placed: int
    removed: int


def sync(course: Course) -> SyncResult:
    """Bring the course's group in line with the LMS roster (raises on a platform error: nothing changes)."""
    service = NamesRolesProvisioningService(
        service_connector(course.platform), {"context_memberships_url": course.memberships_url}
    )
    members = service.get_members()
    return _apply(course, [dict(member) for member in members])


def sync_quietly(course: Course) -> SyncResult | None:
    """:func:`sync` for a launch: an LMS that fails to answer delays the roster, never the person launching."""
    try:
        return sync(course)
    except (LtiException, requests.RequestException, KeyError, ValueError):
        log.exception("roster sync of course %s failed", course.pk)
        return None


@transaction.atomic
def _apply(course: Course, members: list[dict]) -> SyncResult:
    platform, group = course.platform, course.group
    present: set[int] = set()
    for member in members:
        sub = str(member.get("user_id") or "")
        granted = roles.course_roles(list(member.get("roles") or []), platform)
        if not sub or member.get("status", "Active") != "Active" or not granted:
            continue
        user = people.person(platform, sub, member)
        people.place(user, group, granted)
        present.add(user.pk)
    ours = PlatformAccount.objects.filter(platform=platform).values_list("user", flat=True)
    gone = {
        user
        for members_of_kind in (group.students, group.teachers, group.curators)
        for user in members_of_kind.filter(pk__in=ours).exclude(pk__in=present)
    }
    for user in gone:
        people.leave(user, group)
    removed = len(gone)
    course.synced_at = timezone.now()
    course.save(update_fields=["synced_at"])
    audit.record("lti.roster_synced", group=group.pk, placed=len(present), removed=removed)
    return SyncResult(len(present), removed)
