from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from server.accounts.models import User
from server.admin_site import ExplainsProtectedDeletion

from . import biometrics_admin  # noqa: F401  (consent and reference photo pages)
from .actions import end_session
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
    """The live state changes only through :mod:`proctor.actions` (which tell the dashboard): read-only here."""

    list_display = ("exam", "student", "state", "identity", "verdict")
    list_filter = ("state", "identity", "verdict")
    readonly_fields = (
        "exam",
        "student",
        "state",
        "identity",
        "identity_score",
        "admitted_by",
        "started_at",
        "ended_at",
        "end_reason",
        "disconnected_at",
    )
    actions = ["end_sessions"]

    @admin.action(description=_("Завершить выбранные сеансы"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[ExamSession]) -> None:
        assert isinstance(request.user, User)  # the admin site admits signed-in staff only
        for session_id in queryset.exclude(state=ExamSession.State.ENDED).values_list("pk", flat=True):
            end_session(session_id, ExamSession.EndReason.PROCTOR, actor=request.user)


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ("session", "kind", "started_at", "ended_at", "review")
    list_filter = ("kind", "review")
    readonly_fields = ("session", "evidence_token", "evidence")
