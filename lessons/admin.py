from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from server.admin_site import ExplainsProtectedDeletion

from .models import Lesson, LessonRun, Participant, Presence


@admin.register(Lesson)
class LessonAdmin(ExplainsProtectedDeletion, admin.ModelAdmin):
    protected_hint = _("Урок, который уже проводился, удалить нельзя: по нему хранится посещаемость.")
    list_display = ["title", "group", "teacher", "starts_at", "duration_minutes", "repeat_weekly"]
    list_filter = ["group", "kind", "repeat_weekly"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0


@admin.register(LessonRun)
class LessonRunAdmin(admin.ModelAdmin):
    list_display = ["lesson", "starts_at", "locked", "ended_at"]
    inlines = [ParticipantInline]


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    list_display = ["participant", "joined_at", "left_at"]
