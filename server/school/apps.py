from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolConfig(AppConfig):
    name = "server.school"
    label = "school"
    verbose_name = _("Школа")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (tells open sockets about removed memberships and parent links)
