from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = _("Онлайн-уроки")

    def ready(self) -> None:
        from server import media_files

        from .recordings import MEDIA_FOLDER, stored_files

        media_files.register(MEDIA_FOLDER, stored_files)
