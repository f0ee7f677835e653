"""Monitoring ends at deauthorisation: logging out ends the user's unfinished exam sessions."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from ..models import ExamSession
from . import broadcast, sessions


@receiver(user_logged_out, dispatch_uid="proctor-end-sessions-on-logout")
def end_sessions_on_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    unfinished = ExamSession.objects.filter(student=user).exclude(state=ExamSession.State.ENDED)
    for session_id, exam_id in unfinished.values_list("pk", "exam_id"):
        summary = sessions.end_session(session_id, ExamSession.EndReason.LOGOUT, actor=user)
        async_to_sync(broadcast.to_session)(session_id, "ended", reason=ExamSession.EndReason.LOGOUT)
        async_to_sync(broadcast.to_dashboard)(exam_id, {"type": "session.updated", **summary})
