from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "chat.attachments"
    label = "chat_attachments"
    verbose_name = _("Вложения чатов")
    default_auto_field = "django.db.models.BigAutoField"
