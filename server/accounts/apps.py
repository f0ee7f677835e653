from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "server.accounts"
    label = "accounts"
    verbose_name = _("Учётные записи")

    def ready(self) -> None:
        from server import startup  # noqa: F401  (registers the production-start system check)

        from . import signals  # noqa: F401  (connects audit receivers)
