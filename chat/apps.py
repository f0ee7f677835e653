from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Чаты")

    def ready(self) -> None:
        from server.notifications import snapshots

        from . import (
            signals,  # noqa: F401 - connects the school-structure receivers
            unread,
        )

        snapshots.register(unread.snapshot)
