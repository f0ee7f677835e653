"""People, their roles and the security audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Администратор")
    DIRECTOR = "director", _("Директор")
    CURATOR = "curator", _("Куратор")
    TEACHER = "teacher", _("Учитель")
    PROCTOR = "proctor", _("Проктор")
    STUDENT = "student", _("Ученик")
    PARENT = "parent", _("Родитель")


class User(AbstractUser):
    """A person with one or more roles (see :class:`UserRole`)."""

    middle_name = models.CharField(_("отчество"), max_length=150, blank=True)
    must_change_password = models.BooleanField(
        _("сменить пароль при входе"),
        default=False,
        help_text=_("Выданный школой одноразовый пароль нужно сменить при первом входе."),
    )
    birth_date = models.DateField(
        _("дата рождения"),
        null=True,
        blank=True,
        help_text=_("Нужна для согласия на биометрию: за ученика младше 18 лет согласие даёт родитель."),
    )

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles, cached on the instance for the request."""
        cached = self.__dict__.get("_roles")
        if cached is None:
            cached = frozenset(self.role_set.values_list("role", flat=True)) if self.pk else frozenset()
            if self.is_superuser:
                cached |= {Role.ADMIN}
            self.__dict__["_roles"] = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def forget_roles(self) -> None:
        self.__dict__.pop("_roles", None)

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        """Administrators may do everything; the director may only view."""
        if self.is_active and self.has_role(Role.ADMIN):
            return True
        if self.is_active and self.has_role(Role.DIRECTOR):
            return perm.partition(".")[2].startswith("view_")
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.has_role(Role.ADMIN, Role.DIRECTOR):
            return True
        return super().has_module_perms(app_label)


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_set")
    role = models.CharField(_("роль"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("роль пользователя")
        verbose_name_plural = _("роли пользователей")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()}"


class AuditEvent(models.Model):
    """An append-only record of a security-relevant event.

    ``kind`` is a dotted name (``auth.login``, ``auth.login_failed``,
    ``accounts.role_added``, ``accounts.import`` ...); later features add their
    own kinds through :func:`server.accounts.audit.record`.
    """

    at = models.DateTimeField(_("время"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("событие"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("кто"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("над кем"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("логин"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    details = models.JSONField(_("подробности"), default=dict, blank=True)

    class Meta:
        verbose_name = _("событие журнала")
        verbose_name_plural = _("журнал безопасности")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"
