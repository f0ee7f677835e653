from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = _("Онлайн-уроки")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from server import media_files

        from .models import Recording
        from .recordings import MEDIA_FOLDER, delete_files, stored_files

        media_files.register(MEDIA_FOLDER, stored_files)
        post_delete.connect(lambda sender, instance, **kwargs: delete_files(instance), sender=Recording, weak=False)
