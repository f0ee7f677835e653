from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "server.accounts"
    label = "accounts"
    verbose_name = _("Учётные записи")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects audit receivers)
