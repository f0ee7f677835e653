"""Russian unless the user picked another language (the browser's Accept-Language is not used).

Schools give the platform to everyone in Russian; an English-speaking user
switches once with the language selector, which stores a cookie.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(cookies: Mapping[str, str]) -> str:
    """The language picked with the selector (its cookie), if supported; Russian otherwise.

    WebSocket consumers (server.ws) pass ``scope["cookies"]`` to speak the page's language too.
    """
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in {code for code, _ in settings.LANGUAGES} else settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
