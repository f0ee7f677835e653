"""Who may see, join and run a lesson (built on server.school.access)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from server.accounts.models import Role, User
from server.school import access as school_access
from server.school.models import ParentLink, StudyGroup

from .models import Lesson, Participant


def visible_lessons(user: User) -> QuerySet[Lesson]:
    """Lessons of the groups the user may see (students, their parents, teachers, curators, admins)."""
    return Lesson.objects.filter(group__in=school_access.visible_groups(user)).select_related("group", "teacher")


def lesson_role(user: User, lesson: Lesson) -> str | None:
    """The user's role inside the lesson's room, or None if they may not join it."""
    if not user.is_authenticated or not user.is_active:
        return None
    if lesson.teacher_id == user.pk or (
        user.has_role(Role.TEACHER) and lesson.group.teachers.filter(pk=user.pk).exists()
    ):
        return Participant.Role.TEACHER
    if user.has_role(Role.STUDENT) and lesson.group.students.filter(pk=user.pk).exists():
        return Participant.Role.STUDENT
    if (
        settings.LESSONS_PARENTS_MAY_JOIN
        and user.has_role(Role.PARENT)
        and ParentLink.objects.filter(parent=user, child__study_groups=lesson.group).exists()
    ):
        return Participant.Role.OBSERVER
    return None


def can_view_attendance(user: User, lesson: Lesson) -> bool:
    """The teacher, the group's curators, administrators and the director."""
    if lesson_role(user, lesson) == Participant.Role.TEACHER or school_access.reads_everything(user):
        return True
    return user.has_role(Role.CURATOR) and lesson.group.curators.filter(pk=user.pk).exists()


def can_watch_recordings(user: User, lesson: Lesson) -> bool:
    """The lesson's recordings: whoever may join it (its teachers, the group's students, parents as observers if the
    school allows), whoever sees its attendance (the group's curators, administrators, the director), and the
    parents of the group's students — only their own child's group."""
    if not user.is_authenticated or not user.is_active:
        return False
    if lesson_role(user, lesson) is not None or can_view_attendance(user, lesson):
        return True
    return (
        user.has_role(Role.PARENT) and ParentLink.objects.filter(parent=user, child__study_groups=lesson.group).exists()
    )


def can_plan_lessons(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.TEACHER, Role.CURATOR, Role.ADMIN)


def plannable_groups(user: User) -> QuerySet[StudyGroup]:
    if school_access.can_edit_school(user):
        return school_access.visible_groups(user)
    return school_access.staff_groups(user)
