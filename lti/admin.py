from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Course, Deployment, GradeSent, Placement, Platform, PlatformAccount, ToolKey


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """An LMS registration: what the LMS shows when the tool is registered there (docs/lms.md)."""

    list_display = ("name", "issuer", "client_id", "active")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ("active",)
    search_fields = ("name", "issuer", "client_id")
    inlines = [DeploymentInline]


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    """Keys are made and retired with ``manage.py lti_keys``; here they are only listed."""

    list_display = ("kid", "created_at", "retired_at")
    readonly_fields = ("kid", "created_at", "retired_at")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(PlatformAccount)
class PlatformAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "platform", "sub")
    list_filter = ("platform",)
    search_fields = ("user__username", "user__last_name", "sub")
    raw_id_fields = ("user",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "group", "synced_at")
    list_filter = ("platform",)
    readonly_fields = ("memberships_url", "synced_at")


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ("__str__", "course", "created_by", "created_at")
    readonly_fields = ("token", "lineitem_url")


@admin.register(GradeSent)
class GradeSentAdmin(admin.ModelAdmin):
    list_display = ("session", "score", "sent_at", "error")
    readonly_fields = ("session", "score", "comment", "sent_at", "error")
    description = _("Что ушло в журналы LMS после проверки")
