from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from server.accounts.models import User
from server.admin_site import ExplainsProtectedDeletion

from . import biometrics_admin  # noqa: F401  (consent and reference photo pages)
from .models import Episode, Exam, ExamSession


@admin.register(Exam)
class ExamAdmin(ExplainsProtectedDeletion, admin.ModelAdmin):
    protected_hint = _(
        "Экзамен, который уже сдавали, удалить нельзя: сеансы, эпизоды и решения по ним хранятся. "
        "Удалить можно только экзамен без сеансов."
    )
    list_display = ("title", "group", "opens_at", "closes_at", "duration_minutes")
    list_filter = ("group",)
    search_fields = ("title",)
    filter_horizontal = ("proctors",)

    def save_model(self, request: HttpRequest, obj: Exam, form: forms.ModelForm, change: bool) -> None:
        if not change and obj.created_by_id is None:
            assert isinstance(request.user, User)  # the admin site admits signed-in staff only
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    list_display = ("exam", "student", "state", "identity", "verdict")
    list_filter = ("state", "identity", "verdict")
    readonly_fields = ("exam", "student")


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ("session", "kind", "started_at", "ended_at", "review")
    list_filter = ("kind", "review")
    readonly_fields = ("session", "evidence_token", "evidence")
