"""The form teachers and administrators set an exam with."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from server.accounts.models import Role, User
from server.form_fields import ModelIdsField
from server.school import access as school_access

from .models import Exam
from .policy import Policy, PolicyError


class ExamForm(forms.ModelForm):
    lms_url = forms.URLField(label=_("Ссылка на тест в LMS"), required=False, assume_scheme="https")
    policy = forms.CharField(
        label=_("Правила прокторинга (JSON)"),
        required=False,
        initial="{}",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("{} — правила по умолчанию; см. docs/proctoring-engine.md"),
    )

    class Meta:
        model = Exam
        fields = ["title", "group", "opens_at", "closes_at", "duration_minutes", "proctors", "lms_url", "materials"]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "proctors": forms.CheckboxSelectMultiple,
        }
        field_classes = {"proctors": ModelIdsField}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = school_access.visible_groups(user)
        if not school_access.can_edit_school(user):
            groups = school_access.staff_groups(user)
        group, proctors, duration = self.fields["group"], self.fields["proctors"], self.fields["duration_minutes"]
        # The model's foreign key, many-to-many and integer field.
        assert isinstance(group, forms.ModelChoiceField)
        assert isinstance(proctors, forms.ModelMultipleChoiceField)
        assert isinstance(duration, forms.IntegerField)
        group.queryset = groups
        proctors.queryset = User.objects.filter(role_set__role=Role.PROCTOR).distinct()
        duration.min_value = 1

    def clean_policy(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("policy") or "{}"
        try:
            data = json.loads(raw)
            Policy.from_dict(data)
        except (ValueError, PolicyError) as error:
            raise forms.ValidationError(str(error)) from None
        return data

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Окно должно закрываться позже, чем открывается."))
        if not cleaned.get("lms_url") and not cleaned.get("materials"):
            self.add_error("materials", _("Укажите ссылку на тест в LMS или материалы экзамена."))
        return cleaned

    def save(self, commit: bool = True) -> Exam:
        self.instance.policy = self.cleaned_data["policy"]
        return super().save(commit)
