from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "chat.attachments"
    label = "chat_attachments"
    verbose_name = _("Вложения чатов")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from server import media_files

        from .models import Attachment
        from .storage import ROOT

        def referenced() -> list[str]:
            return [name for pair in Attachment.objects.values_list("stored_as", "thumbnail") for name in pair]

        media_files.register(ROOT, referenced)
