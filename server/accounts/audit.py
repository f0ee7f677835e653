"""Writing the security audit log; the one entry point other apps use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEvent, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the connection's, or the real client's behind a trusted proxy.

    ``REMOTE_ADDR`` already holds the right one (server/client_address.py rewrites it at the ASGI
    level, only for connections from ``TRUSTED_PROXIES``); no header is read here.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    kind: str,
    *,
    actor: User | None = None,
    subject: User | None = None,
    request: HttpRequest | None = None,
    username: str = "",
    **details: Any,
) -> AuditEvent:
    """Append one event to the audit log and return it."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    if not username:
        named = subject or actor
        username = named.username if named else ""
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        username=username[:150],
        ip_address=client_ip(request),
        details=details,
    )
