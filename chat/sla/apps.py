from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "chat.sla"
    label = "chat_sla"
    verbose_name = _("Ответы родителям")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import clock  # noqa: F401 - connects the Message post_save receiver
