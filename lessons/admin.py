from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from server.admin_site import ExplainsProtectedDeletion

from .models import Lesson, LessonRun, Participant, Presence, Recording


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


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    """A stretch stuck in «обрабатывается» (its converter died) is set back to «ждёт обработки» here; the next
    ``manage.py convert_lesson_recordings`` converts it. Deleting one deletes its files."""

    list_display = ["run", "started_at", "stopped_at", "status", "duration_seconds", "size_bytes"]
    list_filter = ["status"]
    readonly_fields = [
        "run",
        "folder",
        "started_at",
        "started_by",
        "stopped_at",
        "converted_at",
        "conversion_seconds",
        "duration_seconds",
        "size_bytes",
        "has_screen",
        "screen_offset_seconds",
        "error",
    ]
