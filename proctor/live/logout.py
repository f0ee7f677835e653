"""Monitoring ends at deauthorisation: logging out ends the user's unfinished exam sessions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from server.accounts.models import User

from .. import actions
from ..models import ExamSession


@receiver(user_logged_out, dispatch_uid="proctor-end-sessions-on-logout")
def end_sessions_on_logout(sender: type[User], request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        actions.end_unfinished_sessions(user, ExamSession.EndReason.LOGOUT)
