"""Frames a notifications socket sends as soon as it opens: the current state behind live counters.

A tab learns changes from the frames pushed while it is connected; what changed while it was away (or
before a reconnect) it would miss. So each app with a counter on every page registers a provider here
(the chat: unread messages per room) and the socket sends its frames when a tab starts following the
counters (``counters.follow``, after every connect). The apps
register in their ``AppConfig.ready``: the foundation does not import them (layers, pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from server.accounts.models import User

Provider = Callable[[User], Sequence[Mapping[str, object]]]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def frames_for(user: User) -> list[Mapping[str, object]]:
    return [frame for provider in _providers for frame in provider(user)]
