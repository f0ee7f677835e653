from django.http import HttpRequest
from django.utils.translation import gettext as _

from chat import unread

from .navigation import entries_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    context: dict = {"nav_entries": entries_for(user) if user is not None else []}
    if user is not None and user.is_authenticated:
        context["chat_unread"] = sum(unread.by_room(user).values())
        context["header_config"] = header_config()
    return context


def header_config() -> dict[str, str]:
    """Texts for web/static/js/header.js, in the page's language (the header needs no JavaScript catalogue)."""
    return {
        "new_message": _("Новое сообщение в чате"),
        "notify_on": _("Уведомлять в браузере"),
        "notify_off": _("Не уведомлять в браузере"),
        "notify_blocked": _("Уведомления запрещены в настройках браузера"),
    }
