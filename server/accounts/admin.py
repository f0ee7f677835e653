from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from server.admin_site import ExplainsProtectedDeletion

from .models import AuditEvent, User, UserRole


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


@admin.register(User)
class UserAdmin(ExplainsProtectedDeletion, BaseUserAdmin):
    protected_hint = _(
        "Пользователя с экзаменами или посещаемостью уроков удалить нельзя: это записи об учёбе. "
        "Снимите флажок «Активный» — вход закроется, история сохранится."
    )
    inlines = [UserRoleInline]
    list_display = ("username", "last_name", "first_name", "middle_name", "role_list", "is_active")
    list_filter = ("role_set__role", "is_active")
    search_fields = ("username", "last_name", "first_name", "middle_name", "email")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Школа"), {"fields": ("middle_name", "birth_date", "must_change_password")}),
    )

    @admin.display(description=_("роли"))
    def role_list(self, obj: User) -> str:
        return ", ".join(r.get_role_display() for r in obj.role_set.all())


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "username", "actor", "ip_address")
    list_filter = ("kind",)
    search_fields = ("username", "kind")
    readonly_fields = ("at", "kind", "actor", "subject", "username", "ip_address", "details")

    def has_add_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:  # the log is append-only
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
