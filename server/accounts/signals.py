"""Audit receivers for authentication and role changes; the rights changes open sockets must hear."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from server.ws.rights import rights_changed

from . import audit
from .models import User, UserRole


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


# -- rights that follow the user onto open sockets (server.ws.rights) -------------------------------
RIGHTS_FIELDS = ("is_active", "must_change_password", "password")


@receiver(post_init, sender=User)
def remember_rights_fields(sender: Any, instance: User, **kwargs: Any) -> None:
    """What the user's sockets depend on, as loaded: a save that changes it is told to them."""
    instance.__dict__["_rights_fields"] = tuple(instance.__dict__.get(name) for name in RIGHTS_FIELDS)


@receiver(post_save, sender=User)
def on_user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Deactivation, a password change (here or by an administrator) or a required change close the sockets."""
    now = tuple(instance.__dict__.get(name) for name in RIGHTS_FIELDS)
    if not created and instance.__dict__.get("_rights_fields") != now:
        rights_changed([instance.pk])
    instance.__dict__["_rights_fields"] = now


@receiver(post_delete, sender=User)
def on_user_deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    rights_changed([instance.pk])


@receiver(user_logged_out, dispatch_uid="rights-on-logout")
def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The sockets of the session that logged out close (the others of the user stay)."""
    if user is not None:
        rights_changed([user.pk])


@receiver(post_save, sender=UserRole, dispatch_uid="rights-on-role-added")
@receiver(post_delete, sender=UserRole, dispatch_uid="rights-on-role-removed")
def on_role_changed(sender: Any, instance: UserRole, **kwargs: Any) -> None:
    """A removed role narrows the sockets; an added one reaches them too (their user's roles are reread)."""
    rights_changed([instance.user_id])
