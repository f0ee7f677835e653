"""Deep Linking 2.0: a course teacher picks what the LMS link launches, and we answer with the signed link.

The teacher chooses a proctored exam (time window, duration, policy preset, the LMS quiz to proctor, whether
the credibility score goes to the gradebook) or a video lesson (start, duration). The exam or lesson is made
for the course's study group, a :class:`lti.models.Placement` remembers it, and the answer to the LMS is a
``ltiResourceLink`` whose only custom parameter is the placement's random token (an exam also asks the LMS
for a gradebook column, for :mod:`lti.grades`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from lessons.models import Lesson
from proctor.models import Exam
from server.accounts import audit
from server.accounts.models import User

from . import refusals, roles
from .claims import CONTEXT, DEEP_LINKING_SETTINGS, ROLES
from .grades import SCORE_MAXIMUM
from .models import Course, Placement, PlatformAccount
from .tool import Launch

# Policy presets a teacher picks from (the full JSON policy stays in our own exam form and docs/proctoring-engine.md).
POLICY_PRESETS: dict[str, dict[str, Any]] = {
    "standard": {},
    "strict": {"sensitivity": "high"},
    "lenient": {"sensitivity": "low"},
}


class PlacementForm(forms.Form):
    KIND_CHOICES = [("exam", _("Экзамен с прокторингом")), ("lesson", _("Онлайн-урок"))]
    PRESET_CHOICES = [
        ("standard", _("Обычные правила")),
        ("strict", _("Строгие (нарушения замечаются раньше)")),
        ("lenient", _("Мягкие (нарушения замечаются позже)")),
    ]
    datetime = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    kind = forms.ChoiceField(label=_("Что добавить"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Название"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Начало (экзамен: окно открывается)"), widget=datetime)
    closes_at = forms.DateTimeField(label=_("Экзамен: окно закрывается"), widget=datetime, required=False)
    duration_minutes = forms.IntegerField(label=_("Длительность, мин"), min_value=5, max_value=240, initial=45)
    preset = forms.ChoiceField(
        label=_("Правила прокторинга"), choices=PRESET_CHOICES, initial="standard", required=False
    )
    lms_url = forms.URLField(
        label=_("Тест в LMS, который нужно проктировать"),
        required=False,
        assume_scheme="https",
        help_text=_("Адрес теста в вашей LMS: ученик увидит его только во время идущей попытки с камерой."),
    )
    quiz_password = forms.CharField(
        label=_("Пароль теста в LMS"),
        required=False,
        max_length=200,
        help_text=_(
            "Поставьте на тест в LMS пароль и впишите его сюда: ученик получит пароль только во время идущей "
            "попытки с подтверждённой личностью, так что начать тест без прокторинга нельзя."
        ),
    )
    send_credibility = forms.BooleanField(label=_("Передавать в журнал LMS оценку достоверности"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == "exam":
            opens, closes = cleaned.get("starts_at"), cleaned.get("closes_at")
            if not cleaned.get("lms_url"):
                self.add_error("lms_url", _("Укажите тест в LMS: его и будет охранять прокторинг."))
            if not closes:
                self.add_error("closes_at", _("Укажите, когда окно экзамена закрывается."))
            elif opens and closes <= opens:
                self.add_error("closes_at", _("Окно должно закрываться позже, чем открывается."))
        return cleaned


class Choice:
    """The form for one Deep Linking launch, for the person that launch signed in."""

    def __init__(self, message: Launch, user: User, data: Any) -> None:
        if not message.is_deep_link_launch():
            raise refusals.MALFORMED
        claims: dict[str, Any] = dict(message.get_launch_data())
        self.message, self.user = message, user
        self.platform = message.platform()
        if not PlatformAccount.objects.filter(platform=self.platform, sub=str(claims["sub"]), user=user).exists():
            raise refusals.STATE  # the launch was someone else's: this browser has since signed in as another
        if not roles.may_place_links(roles.course_roles(list(claims.get(ROLES) or []), self.platform)):
            raise refusals.NOT_TEACHER
        self.course = Course.objects.select_related("group").get(
            platform=self.platform, context_id=str(claims[CONTEXT]["id"])
        )
        self.form = PlacementForm(data)

    @transaction.atomic
    def place(self, launch_url: str) -> dict[str, str]:
        """Make the exam or lesson and its placement; the signed answer and where the browser posts it."""
        data = self.form.cleaned_data
        placement = Placement(course=self.course, created_by=self.user)
        resource = DeepLinkResource().set_title(data["title"])
        if data["kind"] == "exam":
            exam = Exam.objects.create(
                title=data["title"],
                group=self.course.group,
                opens_at=data["starts_at"],
                closes_at=data["closes_at"],
                duration_minutes=data["duration_minutes"],
                policy=POLICY_PRESETS[data["preset"] or "standard"],
                lms_url=data["lms_url"],
                materials=_quiz_password_note(data["quiz_password"]),
                created_by=self.user,
            )
            exam.proctors.add(self.user)
            placement.exam, placement.send_credibility = exam, data["send_credibility"]
            resource.set_lineitem(LineItem().set_label(data["title"]).set_score_maximum(SCORE_MAXIMUM))
            audit.record("proctor.exam_created", actor=self.user, exam=exam.pk, via="lti")
        else:
            placement.lesson = Lesson.objects.create(
                title=data["title"],
                group=self.course.group,
                teacher=self.user,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
            )
        placement.save()
        resource.set_url(launch_url).set_custom_params({"placement": placement.token})
        deep_link = self.message.get_deep_link()
        claims: dict[str, Any] = dict(self.message.get_launch_data())
        return_url = str(claims[DEEP_LINKING_SETTINGS]["deep_link_return_url"])
        return {"return_url": return_url, "jwt": deep_link.get_response_jwt([resource])}


def _quiz_password_note(password: str) -> str:
    """The exam's materials (released only to a running, verified attempt): the LMS quiz's password."""
    if not password:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Пароль теста в LMS: %(password)s") % {"password": password}
