from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from server.admin_site import ExplainsProtectedDeletion

from .models import ParentLink, StudyGroup


@admin.register(StudyGroup)
class StudyGroupAdmin(ExplainsProtectedDeletion, admin.ModelAdmin):
    protected_hint = _(
        "Группу с экзаменами или уроками удалить нельзя: это записи об учёбе её учеников. "
        "Чаты группы, где есть переписка, при удалении группы остаются в архиве у участников."
    )
    list_display = ("name", "kind")
    search_fields = ("name",)
    filter_horizontal = ("curators", "teachers", "students")


@admin.register(ParentLink)
class ParentLinkAdmin(admin.ModelAdmin):
    list_display = ("parent", "child")
    search_fields = ("parent__last_name", "child__last_name", "parent__username", "child__username")
    autocomplete_fields = ("parent", "child")
