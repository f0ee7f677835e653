"""A parent's question waiting for (or having got) a curator's answer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Question(models.Model):
    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("chat.Message", on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    curator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(_("задан"))
    due_at = models.DateTimeField(_("ответить до"))
    answered_at = models.DateTimeField(_("отвечен"), null=True, blank=True)
    answer = models.ForeignKey("chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("вопрос родителя")
        verbose_name_plural = _("вопросы родителей")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "curator"], name="unique_question_per_curator")]
        indexes = [models.Index(fields=["curator", "answered_at", "due_at"], name="chat_sla_open_by_curator")]

    def __str__(self) -> str:
        return f"{self.parent} → {self.curator} ({self.message})"
