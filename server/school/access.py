"""Object-level visibility rules shared by every app.

One place answers "may this user see this student / group / parent". Views,
WebSocket consumers and reports call these helpers instead of repeating the
rules, so a rule changes in one place:

* administrators and the director see everything (the director edits nothing);
* a curator sees their groups, those groups' students and those students' parents;
* a teacher sees their groups and those groups' students (and the parents, to answer them);
* a student sees their own groups and themselves;
* a parent sees only their own children and those children's groups.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from server.accounts.models import Role, User

from .models import StudyGroup

READ_ALL_ROLES = (Role.ADMIN, Role.DIRECTOR)


def reads_everything(user: User) -> bool:
    return user.is_authenticated and user.has_role(*READ_ALL_ROLES)


def can_edit_school(user: User) -> bool:
    """Only administrators change the school structure (the director is read-only)."""
    return user.is_authenticated and user.has_role(Role.ADMIN)


def visible_groups(user: User) -> QuerySet[StudyGroup]:
    if not user.is_authenticated:
        return StudyGroup.objects.none()
    if reads_everything(user):
        return StudyGroup.objects.all()
    condition = Q(pk__in=[])
    if user.has_role(Role.CURATOR):
        condition |= Q(curators=user)
    if user.has_role(Role.TEACHER):
        condition |= Q(teachers=user)
    if user.has_role(Role.STUDENT):
        condition |= Q(students=user)
    if user.has_role(Role.PARENT):
        condition |= Q(students__parent_links__parent=user)
    return StudyGroup.objects.filter(condition).distinct()


def staff_groups(user: User) -> QuerySet[StudyGroup]:
    """Groups where the user works as curator or teacher."""
    return StudyGroup.objects.filter(Q(curators=user) | Q(teachers=user)).distinct()


def visible_students(user: User) -> QuerySet[User]:
    students = User.objects.filter(role_set__role=Role.STUDENT)
    if not user.is_authenticated:
        return students.none()
    if reads_everything(user):
        return students.distinct()
    condition = Q(pk__in=[])
    if user.has_role(Role.CURATOR, Role.TEACHER):
        condition |= Q(study_groups__in=staff_groups(user))
    if user.has_role(Role.STUDENT):
        condition |= Q(pk=user.pk)
    if user.has_role(Role.PARENT):
        condition |= Q(parent_links__parent=user)
    return students.filter(condition).distinct()


def visible_parents(user: User) -> QuerySet[User]:
    parents = User.objects.filter(role_set__role=Role.PARENT)
    if not user.is_authenticated:
        return parents.none()
    if reads_everything(user):
        return parents.distinct()
    condition = Q(pk=user.pk)
    if user.has_role(Role.CURATOR, Role.TEACHER):
        condition |= Q(child_links__child__study_groups__in=staff_groups(user))
    return parents.filter(condition).distinct()


def can_view_group(user: User, group: StudyGroup) -> bool:
    return visible_groups(user).filter(pk=group.pk).exists()


def can_view_student(user: User, student: User) -> bool:
    return visible_students(user).filter(pk=student.pk).exists()


def can_view_parent(user: User, parent: User) -> bool:
    return visible_parents(user).filter(pk=parent.pk).exists()


def can_manage_group(user: User, group: StudyGroup) -> bool:
    """Administrators manage every group; a curator manages their own (imports, logins)."""
    if can_edit_school(user):
        return True
    return user.has_role(Role.CURATOR) and group.curators.filter(pk=user.pk).exists()


def children_of(parent: User) -> QuerySet[User]:
    return User.objects.filter(parent_links__parent=parent)
