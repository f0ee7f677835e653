"""A proctor taken off an exam loses its live dashboard at once (server.ws.rights)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed

from server.ws.rights import rights_changed

from .models import Exam


def on_proctors_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if reverse:  # user.proctored_exams.remove(exam): the instance is the user
        rights_changed([instance.pk])
    elif action == "pre_clear":
        rights_changed(instance.proctors.values_list("pk", flat=True))
    else:
        rights_changed(pk_set or ())


m2m_changed.connect(on_proctors_changed, sender=Exam.proctors.through, dispatch_uid="rights-exam-proctors")
