"""Closed periods and absence reasons, read-only in the admin: they change only through the report pages,
where a closed period refuses edits and every change is audited (docs/reports.md)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AbsenceReason, ClosedPeriod


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(ReadOnly):
    list_display = ["group", "starts_on", "ends_on", "closed_by", "closed_at"]
    list_filter = ["group"]


@admin.register(AbsenceReason)
class AbsenceReasonAdmin(ReadOnly):
    list_display = ["student", "run", "reason", "note", "set_by", "set_at"]
    list_filter = ["reason"]
