"""Keep the group and parents' chats in sync with the school structure."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from server.school.models import ParentLink, StudyGroup

from .models import Room
from .rooms import sync_group_rooms

GROUP_RELATIONS = (StudyGroup.curators.through, StudyGroup.teachers.through, StudyGroup.students.through)


def _resync(group_ids: set[int]) -> None:
    """Resynchronise after the surrounding transaction commits (once per group)."""
    for group_id in group_ids:
        transaction.on_commit(partial(_resync_now, group_id))


def _resync_now(group_id: int) -> None:
    group = StudyGroup.objects.filter(pk=group_id).first()
    if group is not None:
        sync_group_rooms(group)


@receiver(post_save, sender=StudyGroup)
def on_group_saved(sender: Any, instance: StudyGroup, **kwargs: Any) -> None:
    _resync({instance.pk})


def on_group_relation_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear", "pre_clear"}:
        return
    if not reverse:
        _resync({instance.pk})
    elif action == "pre_clear":  # a user's groups are about to be cleared: remember them
        relation = {StudyGroup.curators.through: "curators", StudyGroup.teachers.through: "teachers"}.get(
            sender, "students"
        )
        _resync(set(StudyGroup.objects.filter(**{relation: instance}).values_list("pk", flat=True)))
    elif pk_set:
        _resync(set(pk_set))


for _through in GROUP_RELATIONS:
    m2m_changed.connect(on_group_relation_changed, sender=_through, dispatch_uid=f"chat-sync-{_through.__name__}")


@receiver(post_save, sender=ParentLink)
@receiver(post_delete, sender=ParentLink)
def on_parent_link_changed(sender: Any, instance: ParentLink, **kwargs: Any) -> None:
    _resync(set(StudyGroup.objects.filter(students=instance.child_id).values_list("pk", flat=True)))


@receiver(pre_delete, sender=StudyGroup)
def on_group_deleted(sender: Any, instance: StudyGroup, **kwargs: Any) -> None:
    """A deleted group's chats that were never written in go with it; the others stay, as an archive.

    Their members keep reading them (``Room.group`` becomes empty and nothing resynchronises them).
    """
    Room.objects.filter(group=instance, last_seq=0).delete()
