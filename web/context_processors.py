from django.http import HttpRequest

from .navigation import entries_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {"nav_entries": entries_for(user) if user is not None else []}
