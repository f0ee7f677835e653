from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctorConfig(AppConfig):
    name = "proctor"
    verbose_name = _("Прокторинг")

    def ready(self) -> None:
        from server import media_files

        from . import rights  # noqa: F401  (a proctor taken off an exam loses its dashboard)
        from .live import logout  # noqa: F401  (connects the logout signal)
        from .models import AttemptRecording, Episode, RecordingPiece, ReferencePhoto
        from .models.biometrics import REFERENCE_DIR
        from .models.recordings import RECORDING_DIR

        media_files.register(
            "evidence", lambda: Episode.objects.exclude(evidence="").values_list("evidence", flat=True)
        )
        media_files.register(REFERENCE_DIR, lambda: ReferencePhoto.objects.values_list("image", flat=True))
        media_files.register(
            RECORDING_DIR,
            lambda: [
                *RecordingPiece.objects.values_list("path", flat=True),
                *RecordingPiece.objects.exclude(screen_path="").values_list("screen_path", flat=True),
                *AttemptRecording.objects.values_list("path", flat=True),
                *AttemptRecording.objects.exclude(screen_path="").values_list("screen_path", flat=True),
            ],
        )
