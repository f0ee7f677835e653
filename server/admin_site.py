"""The Django admin, open to administrators (full) and the director (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class SchoolAdminSite(admin.AdminSite):
    site_header = _("Classroom Live — администрирование")
    site_title = _("Classroom Live")
    index_title = _("Управление школой")

    def has_permission(self, request: HttpRequest) -> bool:
        from server.accounts.models import Role

        user = request.user
        return user.is_active and user.is_authenticated and user.has_role(Role.ADMIN, Role.DIRECTOR)


class SchoolAdminConfig(AdminConfig):
    default_site = "server.admin_site.SchoolAdminSite"
