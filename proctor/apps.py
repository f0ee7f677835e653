from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctorConfig(AppConfig):
    name = "proctor"
    verbose_name = _("Прокторинг")

    def ready(self) -> None:
        from .live import logout  # noqa: F401  (connects the logout signal)
