"""Audit receivers for authentication and role changes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import audit
from .models import UserRole


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, subject=user, request=request)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, subject=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    audit.record("auth.login_failed", request=request, username=str(credentials.get("username", "")))


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    audit.record("auth.locked_out", request=request, username=username or "")


@receiver(post_save, sender=UserRole)
def on_role_added(sender: Any, instance: UserRole, created: bool, **kwargs: Any) -> None:
    if created:
        instance.user.forget_roles()
        audit.record("accounts.role_added", subject=instance.user, role=instance.role)


@receiver(post_delete, sender=UserRole)
def on_role_removed(sender: Any, instance: UserRole, **kwargs: Any) -> None:
    audit.record("accounts.role_removed", subject=instance.user, role=instance.role)
