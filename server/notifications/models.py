from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .protocol import NotificationPayload


class Notification(models.Model):
    """Something a user should see (a mention, a warning, an overdue question).

    Texts are translated when shown, not when stored: a user's language lives only in their
    browser's cookie. With ``params`` (a dict), ``text`` is a Russian message marked for
    translation (``gettext_noop``) whose placeholders ``params`` fill; without, it is shown as is.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("вид"), max_length=32)
    text = models.CharField(_("текст"), max_length=500)
    params = models.JSONField(_("параметры текста"), null=True, blank=True)
    url = models.CharField(_("ссылка"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)

    class Meta:
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.display_text

    @property
    def display_text(self) -> str:
        """The text in the active language."""
        return self.text if self.params is None else gettext(self.text) % self.params

    def as_event(self) -> NotificationPayload:
        return {
            "id": self.pk,
            "kind": self.kind,
            "text": self.display_text,
            "url": self.url,
            "created_at": self.created_at.isoformat(),
            "read": self.read_at is not None,
        }
