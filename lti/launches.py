"""What a validated launch does: who the person is, which course group they join, and where they land.

* Deep Linking request → the course's teachers and curators only → our form to pick the exam or lesson;
* resource link → the placement named by the link's ``placement`` custom parameter, on this platform and in
  this course → a learner to the exam page (or lesson room), a teacher to the exam's dashboard (or the room).

Every launch also keeps the course's service endpoints up to date (NRPS memberships, the link's AGS line
item), and a teacher's launch syncs the roster (:mod:`lti.roster`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from server.accounts import audit
from server.accounts.models import User

from . import people, refusals, roles, roster
from .claims import CONTEXT, CUSTOM, GRADES_ENDPOINT, MENTEES, NAMES_AND_ROLES, ROLES
from .models import Course, Placement
from .roles import CourseRole
from .tool import Launch


@dataclass(frozen=True)
class Arrival:
    user: User
    destination: str


def arrive(message: Launch) -> Arrival:
    if not (message.is_resource_launch() or message.is_deep_link_launch()):
        raise refusals.MALFORMED  # submission review, data privacy: messages this tool does not take
    claims: dict[str, Any] = dict(message.get_launch_data())
    platform = message.platform()
    context = claims.get(CONTEXT)
    if not isinstance(context, dict) or not context.get("id"):
        raise refusals.NO_CONTEXT
    granted = roles.course_roles(list(claims.get(ROLES) or []), platform)
    if not granted:
        raise refusals.NO_ROLE
    if message.is_deep_link_launch() and not roles.may_place_links(granted):
        raise refusals.NOT_TEACHER  # before anything is written: a refused launch changes nothing
    with transaction.atomic():
        course = people.course(platform, context)
        user = people.person(platform, str(claims["sub"]), claims)
        if not user.is_active:
            raise refusals.DEACTIVATED
        people.place(user, course.group, granted)
        if CourseRole.PARENT in granted:
            people.link_children(platform, user, claims.get(MENTEES) or [])
        _remember_services(course, claims)
        audit.record("lti.launch", actor=user, platform=platform.pk, group=course.group_id, roles=sorted(granted))
    if roles.supervises(granted) and course.memberships_url:
        roster.sync_quietly(course)
    if message.is_deep_link_launch():
        return Arrival(user, reverse("lti:deep_link", args=[message.get_launch_id()]))
    return Arrival(user, _destination(_placement(course, claims), user, granted))


def _remember_services(course: Course, claims: dict[str, Any]) -> None:
    url = str((claims.get(NAMES_AND_ROLES) or {}).get("context_memberships_url") or "")
    if url and url != course.memberships_url:
        course.memberships_url = url
        course.save(update_fields=["memberships_url"])


def _placement(course: Course, claims: dict[str, Any]) -> Placement:
    token = str((claims.get(CUSTOM) or {}).get("placement") or "")
    placement = (
        Placement.objects.select_related("exam", "lesson").filter(token=token, course=course).first() if token else None
    )
    if placement is None:
        raise refusals.UNKNOWN_PLACEMENT
    lineitem = str((claims.get(GRADES_ENDPOINT) or {}).get("lineitem") or "")
    if lineitem and lineitem != placement.lineitem_url:
        placement.lineitem_url = lineitem
        placement.save(update_fields=["lineitem_url"])
    return placement


def _destination(placement: Placement, user: User, granted: frozenset[CourseRole]) -> str:
    if placement.lesson_id is not None:
        return reverse("lessons:room", args=[placement.lesson_id])
    exam = placement.exam
    assert exam is not None  # a placement launches an exam or a lesson (database constraint)
    if roles.supervises(granted):
        exam.proctors.add(user)  # the course's teachers supervise the course's exams
        return reverse("proctor:dashboard", args=[exam.pk])
    if CourseRole.STUDENT in granted:
        return reverse("proctor:take_exam", args=[exam.pk])
    return reverse("proctor:exam_list")
