from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LMS (LTI 1.3)")

    def ready(self) -> None:
        from . import grades  # noqa: F401  (a reviewed session's score goes back to the LMS)
