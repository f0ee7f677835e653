"""The Django admin, open to administrators (full) and the director (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class SchoolAdminSite(admin.AdminSite):
    site_header = _("Classroom Live — администрирование")
    site_title = _("Classroom Live")
    index_title = _("Управление школой")

    @property
    def login_form(self) -> type:  # type: ignore[override]  # imported late: the admin site loads before the models
        from server.accounts.login_forms import AdminLoginForm

        return AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        from server.accounts.models import Role

        user = request.user
        return user.is_active and user.is_authenticated and user.has_role(Role.ADMIN, Role.DIRECTOR)


class SchoolAdminConfig(AdminConfig):
    default_site = "server.admin_site.SchoolAdminSite"


class ExplainsProtectedDeletion:
    """A ModelAdmin mixin: when history protects an object from deletion, say why and what to do instead.

    Django's confirmation page lists the protected objects; ``protected_hint`` adds the school's reason
    (exam sessions, attendance, chat history are records, not clutter) and the alternative.
    """

    protected_hint: StrOrPromise = ""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        if protected and self.protected_hint:
            self.message_user(request, self.protected_hint, messages.WARNING)  # type: ignore[attr-defined]
        return deleted, counts, perms_needed, protected
