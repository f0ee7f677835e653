"""An uploaded file, first owned by its uploader, then bound to one message of the same room."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("фото")
        AUDIO = "audio", _("аудио")
        VIDEO = "video", _("видео")
        FILE = "file", _("файл")

    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices)
    mime = models.CharField(_("тип содержимого"), max_length=100)
    name = models.CharField(_("имя файла"), max_length=200)
    size = models.PositiveBigIntegerField(_("размер, байт"))
    stored_as = models.CharField(_("файл на диске"), max_length=200, unique=True)
    thumbnail = models.CharField(_("миниатюра на диске"), max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("загружено"), auto_now_add=True)

    class Meta:
        verbose_name = _("вложение")
        verbose_name_plural = _("вложения")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=Attachment)
def _delete_files(sender: type[Attachment], instance: Attachment, **kwargs: object) -> None:
    """The file and its thumbnail go with the row, however it is deleted (purge, a deleted room, admin).

    After the commit: a deletion that rolls back keeps its files.
    """
    from .storage import remove

    transaction.on_commit(lambda: remove(instance.stored_as, instance.thumbnail))
