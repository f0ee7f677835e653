"""The request type of a view that only signed-in users reach.

``HttpRequest.user`` is ``User | AnonymousUser``; behind ``@login_required`` (or ``LoginRequiredMixin``) it
is always a :class:`User`. A view annotated with :class:`AuthenticatedHttpRequest` says so once, and mypy
then checks its calls into the access rules (which take a ``User``) instead of every view re-checking
``is_authenticated``. The class is never instantiated: Django still passes its own ``HttpRequest``.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
