"""People and groups from launches: a platform's ``sub`` becomes our user, its course a study group.

A user is found by (platform, ``sub``) only — never by name or e-mail, which another LMS (or a typo) can
repeat — so the same ``sub`` on two platforms is two people. Names follow the LMS on every launch. A user made
here has no password: they come in through their LMS (one the school deactivated is refused there). Group
membership follows the roles of the latest launch or roster sync: a learner made an instructor stops being a
student of the group, and the reverse; a teacher who leaves stops supervising the exams placed in the course.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from proctor.models import Exam
from server.accounts import audit
from server.accounts.models import Role, User, UserRole
from server.school.models import ParentLink, StudyGroup

from .models import Course, Platform, PlatformAccount
from .roles import CourseRole

# Our school-wide role that each course role needs (the group gives the rights; the role says which kind).
SCHOOL_ROLE = {
    CourseRole.STUDENT: Role.STUDENT,
    CourseRole.TEACHER: Role.TEACHER,
    CourseRole.CURATOR: Role.CURATOR,
    CourseRole.PARENT: Role.PARENT,
}
NAME_LIMIT = 150


def _username(platform: Platform, sub: str) -> str:
    """Unique and stable; says where the account comes from, reveals nothing of the ``sub``."""
    digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:16]
    return f"lti{platform.pk}-{digest}"


@transaction.atomic
def person(platform: Platform, sub: str, claims: Mapping[str, Any]) -> User:
    """Our user for the platform's ``sub`` (made on first sight), with the LMS's current name."""
    account = PlatformAccount.objects.select_related("user").filter(platform=platform, sub=sub).first()
    if account is None:
        user = User(username=_username(platform, sub))
        user.set_unusable_password()
        user.save()
        PlatformAccount.objects.create(platform=platform, sub=sub, user=user)
        audit.record("lti.user_created", subject=user, platform=platform.pk)
    else:
        user = account.user
    first, last = str(claims.get("given_name") or "")[:NAME_LIMIT], str(claims.get("family_name") or "")[:NAME_LIMIT]
    if not first and not last:
        first = str(claims.get("name") or "")[:NAME_LIMIT]
    if (first or last) and (user.first_name, user.last_name) != (first, last):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return user


@transaction.atomic
def course(platform: Platform, context: Mapping[str, Any]) -> Course:
    """The course of a launch's ``context`` claim and its study group (made on first launch)."""
    context_id = str(context["id"])
    title = str(context.get("title") or context.get("label") or context_id)[:200]
    found = Course.objects.select_related("group").filter(platform=platform, context_id=context_id).first()
    if found is not None:
        return found
    name = f"{title[:60]} · {platform.name[:20]}"
    if StudyGroup.objects.filter(name=name).exists():
        name = f"{name} · {hashlib.sha256(context_id.encode()).hexdigest()[:6]}"
    group = StudyGroup.objects.create(name=name, kind=StudyGroup.Kind.COURSE)
    audit.record("lti.course_linked", platform=platform.pk, group=group.pk, context=context_id)
    return Course.objects.create(platform=platform, context_id=context_id, title=title, group=group)


@transaction.atomic
def place(user: User, group: StudyGroup, roles: frozenset[CourseRole]) -> None:
    """Make the user's places in the group exactly ``roles`` (parents are linked to children, not the group)."""
    memberships: dict[CourseRole, Any] = {  # the group's related managers
        CourseRole.STUDENT: group.students,
        CourseRole.TEACHER: group.teachers,
        CourseRole.CURATOR: group.curators,
    }
    for role, members in memberships.items():
        if role in roles:
            members.add(user)
        else:
            members.remove(user)
    for role in roles:
        UserRole.objects.get_or_create(user=user, role=SCHOOL_ROLE[role])
    if not roles & {CourseRole.TEACHER, CourseRole.CURATOR}:
        # Supervising the course's exams came with teaching the course (lti.launches): it goes with it.
        for exam in Exam.objects.filter(group=group, lms_placement__isnull=False, proctors=user):
            exam.proctors.remove(user)
    user.forget_roles()


def link_children(platform: Platform, mentor: User, child_subs: Iterable[str]) -> None:
    """A mentor the platform maps to parents becomes the parent of the learners it names (known ones only)."""
    children = PlatformAccount.objects.filter(platform=platform, sub__in=list(child_subs)).values_list(
        "user", flat=True
    )
    for child in children:
        if child != mentor.pk:
            ParentLink.objects.get_or_create(parent=mentor, child_id=child)


def leave(user: User, group: StudyGroup) -> None:
    """Take the user out of every place in the group (removed from the LMS course)."""
    place(user, group, frozenset())
