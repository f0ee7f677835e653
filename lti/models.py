"""The LMS side of the school: registered platforms, our signing keys, and what launches linked together.

* :class:`Platform` — one LMS registration (issuer + client id), managed in the admin; its deployments.
* :class:`ToolKey` — our RSA keys: the newest active one signs, every unretired one is published (rotation).
* :class:`PlatformAccount` — a platform's ``sub`` linked to our user, per platform: two LMSs may use the same
  ``sub`` for different people, and a name is never enough to match a person.
* :class:`Course` — an LMS course (``context``) and the study group it became, with its service endpoints.
* :class:`Placement` — a link placed in a course by Deep Linking: which exam or lesson it launches.
* :class:`GradeSent` — what AGS passback sent (or failed to send) for a reviewed session.
* :class:`LaunchValue` — the short-lived OIDC values (nonce, launch data) shared by every server process.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.Model):
    """An LMS registered with us: its issuer, the client id it gave us, and its endpoints."""

    class MentorRole(models.TextChoices):
        NONE = "", _("не давать прав (наблюдатель без доступа)")
        PARENT = "parent", _("родитель")
        CURATOR = "curator", _("куратор")

    name = models.CharField(_("название"), max_length=100)
    issuer = models.URLField(_("издатель (issuer)"), max_length=255)
    client_id = models.CharField(_("client ID"), max_length=255)
    auth_login_url = models.URLField(_("адрес OIDC-входа платформы"), max_length=500)
    auth_token_url = models.URLField(_("адрес выдачи токенов (OAuth2)"), max_length=500)
    auth_audience = models.CharField(
        _("аудитория токенов"), max_length=500, blank=True, help_text=_("Пусто — адрес выдачи токенов.")
    )
    key_set_url = models.URLField(_("адрес открытых ключей платформы (JWKS)"), max_length=500)
    mentor_role = models.CharField(
        _("роль наставника (Mentor)"),
        max_length=10,
        choices=MentorRole.choices,
        blank=True,
        help_text=_(
            "Кем у нас становится наставник из LMS: родителем учеников, за которых он отвечает, или куратором."
        ),
    )
    active = models.BooleanField(_("разрешены запуски"), default=True)

    class Meta:
        verbose_name = _("платформа LMS")
        verbose_name_plural = _("платформы LMS")
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="unique_lti_registration")]

    def __str__(self) -> str:
        return self.name


class Deployment(models.Model):
    """A deployment of our tool on the platform (Moodle: one per tool configuration); launches name it."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(_("ID развёртывания"), max_length=255)

    class Meta:
        verbose_name = _("развёртывание")
        verbose_name_plural = _("развёртывания")
        constraints = [models.UniqueConstraint(fields=["platform", "deployment_id"], name="unique_lti_deployment")]

    def __str__(self) -> str:
        return self.deployment_id


class ToolKey(models.Model):
    """One of our RSA key pairs (private key in PEM, stored only here); ``kid`` is its RFC 7638 thumbprint."""

    kid = models.CharField(_("идентификатор ключа (kid)"), max_length=64, unique=True, editable=False)
    private_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    retired_at = models.DateTimeField(_("выведен из обращения"), null=True, blank=True)

    class Meta:
        verbose_name = _("ключ подписи")
        verbose_name_plural = _("ключи подписи")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid


class PlatformAccount(models.Model):
    """Our user behind a platform's ``sub`` (the LMS's stable, opaque user id)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="accounts")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_accounts")

    class Meta:
        verbose_name = _("учётная запись LMS")
        verbose_name_plural = _("учётные записи LMS")
        constraints = [models.UniqueConstraint(fields=["platform", "sub"], name="unique_lti_sub")]

    def __str__(self) -> str:
        return f"{self.platform}: {self.sub}"


class Course(models.Model):
    """An LMS course (the launch's ``context``), the study group it became, and its service endpoints."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="courses")
    context_id = models.CharField(max_length=255)
    title = models.CharField(_("название в LMS"), max_length=255, blank=True)
    group = models.OneToOneField(
        "school.StudyGroup", verbose_name=_("группа"), on_delete=models.PROTECT, related_name="lms_course"
    )
    memberships_url = models.URLField(max_length=500, blank=True)  # NRPS context_memberships_url
    synced_at = models.DateTimeField(_("состав сверен"), null=True, blank=True)

    class Meta:
        verbose_name = _("курс LMS")
        verbose_name_plural = _("курсы LMS")
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="unique_lti_context")]

    def __str__(self) -> str:
        return self.title or self.context_id


def new_placement_token() -> str:
    return secrets.token_urlsafe(16)


class Placement(models.Model):
    """A link a teacher placed in the course by Deep Linking; it launches one exam or one lesson.

    The link carries only ``token`` (custom parameter ``placement``); a launch finds the placement by the
    token *and* the launching platform, so a token copied into another LMS launches nothing.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="placements")
    token = models.CharField(max_length=32, unique=True, default=new_placement_token, editable=False)
    exam = models.OneToOneField(
        "proctor.Exam", null=True, blank=True, on_delete=models.CASCADE, related_name="lms_placement"
    )
    lesson = models.OneToOneField(
        "lessons.Lesson", null=True, blank=True, on_delete=models.CASCADE, related_name="lms_placement"
    )
    send_credibility = models.BooleanField(_("передавать оценку достоверности"), default=False)
    lineitem_url = models.URLField(max_length=500, blank=True)  # AGS: the gradebook column of this link
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ссылка в курсе LMS")
        verbose_name_plural = _("ссылки в курсах LMS")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exam__isnull=False, lesson__isnull=True)
                | models.Q(exam__isnull=True, lesson__isnull=False),
                name="placement_launches_one_thing",
            )
        ]

    def __str__(self) -> str:
        return str(self.exam or self.lesson)


class GradeSent(models.Model):
    """The score AGS passback sent for a reviewed session (one row per session, the last attempt)."""

    session = models.OneToOneField("proctor.ExamSession", on_delete=models.CASCADE, related_name="lms_grade")
    score = models.PositiveSmallIntegerField(_("балл"))
    comment = models.TextField(_("комментарий"))
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    error = models.TextField(_("ошибка"), blank=True)

    class Meta:
        verbose_name = _("оценка, переданная в LMS")
        verbose_name_plural = _("оценки, переданные в LMS")

    def __str__(self) -> str:
        return f"{self.session}: {self.score}"


class LaunchValue(models.Model):
    """A short-lived OIDC value (a nonce, a launch's data) kept until ``expires_at``; see lti.storage."""

    key = models.CharField(max_length=255, unique=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
