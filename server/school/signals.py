"""The school structure grants rights (lessons of a group, its chats, a parent's view of a child): a removed
membership or parent link is told to the open sockets of the people concerned (server.ws.rights)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from server.ws.rights import rights_changed

from .models import Enrolment, ParentLink, StudyGroup

RELATIONS = {
    StudyGroup.curators.through: "curators",
    StudyGroup.teachers.through: "teachers",
    StudyGroup.students.through: "students",
}


def _with_parents(user_ids: set[int]) -> set[int]:
    """A student's parents see the child's lessons and chats through the child's groups."""
    parents = ParentLink.objects.filter(child_id__in=user_ids).values_list("parent_id", flat=True)
    return user_ids | set(parents)


def on_membership_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Removals narrow (``post_remove``; a clear is read before it happens); additions are told too."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if reverse:  # user.study_groups.remove(group): the instance is the user
        users = {instance.pk}
    elif action == "pre_clear":
        users = set(getattr(instance, RELATIONS[sender]).values_list("pk", flat=True))
    else:
        users = set(pk_set or ())
    rights_changed(_with_parents(users))


for _through in RELATIONS:
    m2m_changed.connect(on_membership_changed, sender=_through, dispatch_uid=f"rights-{_through.__name__}")


@receiver(m2m_changed, sender=StudyGroup.students.through, dispatch_uid="enrolment-dates")
def on_students_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Date each student's joining of a group, so lessons held before it do not count them absent."""
    if action == "post_add":
        pairs = [(pk, instance.pk) if reverse else (instance.pk, pk) for pk in pk_set or ()]
        now = timezone.now()
        for group_id, student_id in pairs:
            Enrolment.objects.update_or_create(group_id=group_id, student_id=student_id, defaults={"added_at": now})
    elif action == "post_remove":
        field = "group_id__in" if reverse else "student_id__in"
        owner = "student_id" if reverse else "group_id"
        Enrolment.objects.filter(**{owner: instance.pk, field: pk_set or ()}).delete()
    elif action == "pre_clear":
        Enrolment.objects.filter(**{"student_id" if reverse else "group_id": instance.pk}).delete()


@receiver(pre_delete, sender=StudyGroup, dispatch_uid="rights-group-deleted")
def on_group_deleted(sender: Any, instance: StudyGroup, **kwargs: Any) -> None:
    users = {user.pk for relation in RELATIONS.values() for user in getattr(instance, relation).all()}
    rights_changed(_with_parents(users))


@receiver(post_save, sender=ParentLink, dispatch_uid="rights-parent-link-saved")
@receiver(post_delete, sender=ParentLink, dispatch_uid="rights-parent-link-deleted")
def on_parent_link_changed(sender: Any, instance: ParentLink, **kwargs: Any) -> None:
    rights_changed([instance.parent_id, instance.child_id])
