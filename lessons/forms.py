from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from server.accounts.models import Role, User

from .access import plannable_groups
from .models import Lesson


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = [
            "title",
            "kind",
            "group",
            "teacher",
            "starts_at",
            "duration_minutes",
            "repeat_weekly",
            "repeat_until",
            "students_camera_allowed",
            "students_microphone_allowed",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "repeat_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group, teacher = self.fields["group"], self.fields["teacher"]
        assert isinstance(group, forms.ModelChoiceField)  # the model's foreign keys
        assert isinstance(teacher, forms.ModelChoiceField)
        group.queryset = plannable_groups(user)
        teacher.queryset = User.objects.filter(role_set__role=Role.TEACHER).distinct()
        if user.has_role(Role.TEACHER) and not self.initial.get("teacher"):
            self.initial["teacher"] = user.pk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        group, teacher = data.get("group"), data.get("teacher")
        if group and teacher and not group.teachers.filter(pk=teacher.pk).exists():
            self.add_error("teacher", _("Этот учитель не ведёт выбранную группу."))
        if data.get("repeat_until") and not data.get("repeat_weekly"):
            self.add_error("repeat_until", _("Укажите «повторять каждую неделю» или уберите дату."))
        return data
