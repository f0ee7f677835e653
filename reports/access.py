"""Who may read which report, on top of the school's visibility rules (server/school/access.py).

* the director and administrators: the whole school;
* a curator: their groups (activity, attendance, absence reasons, closing periods) and their groups' teachers;
* a teacher: attendance of the groups they teach, and their own activity line;
* a parent: their own children's attendance; a student: their own.

An id in a URL that names a group or student outside these is answered "not found" (404), as if it did
not exist: a curious parent learns nothing by counting ids.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from server.accounts.models import Role, User
from server.school.access import can_manage_group, reads_everything, visible_students
from server.school.models import StudyGroup


def attendance_groups(user: User) -> QuerySet[StudyGroup]:
    """Groups whose whole attendance the user may read (never a parent's or a student's)."""
    if reads_everything(user):
        return StudyGroup.objects.all()
    return StudyGroup.objects.filter(Q(curators=user) | Q(teachers=user)).distinct()


def activity_groups(user: User) -> QuerySet[StudyGroup]:
    """Groups whose activity report the user may read: the curator's own, every group for the school's heads."""
    if reads_everything(user):
        return StudyGroup.objects.all()
    return StudyGroup.objects.filter(curators=user)


def may_read_school_activity(user: User) -> bool:
    return reads_everything(user)


def attendance_students(user: User) -> QuerySet[User]:
    """Students whose own attendance the user may read: a parent's children, a student themself, staff's groups."""
    return visible_students(user)


def may_edit_attendance(user: User, group: StudyGroup) -> bool:
    """Absence reasons and closing periods: administrators, and the group's curators."""
    return can_manage_group(user, group)


def activity_staff(user: User) -> QuerySet[User]:
    """Teachers and curators in the teachers' activity report the user may read."""
    staff = User.objects.filter(role_set__role__in=[Role.TEACHER, Role.CURATOR]).distinct()
    if reads_everything(user):
        return staff
    condition = Q(pk=user.pk) if user.has_role(Role.TEACHER, Role.CURATOR) else Q(pk__in=[])
    if user.has_role(Role.CURATOR):
        curated = StudyGroup.objects.filter(curators=user)
        condition |= Q(taught_groups__in=curated) | Q(curated_groups__in=curated)
    return staff.filter(condition).distinct()


def may_read_any_report(user: User) -> bool:
    return user.is_authenticated and (
        reads_everything(user) or user.has_role(Role.CURATOR, Role.TEACHER, Role.PARENT, Role.STUDENT)
    )
