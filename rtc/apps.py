from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RtcConfig(AppConfig):
    name = "rtc"
    verbose_name = _("Видеосвязь")
