from django.contrib import admin

from .models import ParentLink, StudyGroup


@admin.register(StudyGroup)
class StudyGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    search_fields = ("name",)
    filter_horizontal = ("curators", "teachers", "students")


@admin.register(ParentLink)
class ParentLinkAdmin(admin.ModelAdmin):
    list_display = ("parent", "child")
    search_fields = ("parent__last_name", "child__last_name", "parent__username", "child__username")
    autocomplete_fields = ("parent", "child")
