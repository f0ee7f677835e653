"""The Content-Security-Policy of every HTML page: scripts and styles only from our own static files.

Pages carry no inline ``<script>`` code and no ``on…=`` attributes (a script injected into a chat
message or an exam title cannot run); data for a page's script travels in ``json_script`` blocks,
which are not executed. What the policy allows besides our own origin, and why:

* ``img-src data: blob:`` – the proctor's dashboard shows webcam thumbnails sent as ``data:`` URLs;
* ``media-src blob:`` – chat attachments play from our origin, live video is a MediaStream (not governed);
* ``connect-src 'self'`` covers the pages' WebSockets to the same host (CSP 3: ``'self'`` matches ``ws:``/``wss:``);
* ``frame-src 'self'`` – the exam page's chat; the exam's LMS is added by its view with :func:`allow`.

A view that needs more for one response (and only then) calls :func:`allow`; the middleware leaves a
policy set by the view as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "media-src": ("'self'", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "frame-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'self'",),
}


def allow(response: HttpResponse, directive: str, url: str) -> None:
    """Let this response also use ``url``'s origin for ``directive`` (e.g. the exam's LMS in a frame)."""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        response[HEADER] = header_value({directive: {f"{parts.scheme}://{parts.netloc}"}})


def header_value(extra: dict[str, set[str]] | None = None) -> str:
    extra = extra or {}
    return "; ".join(
        " ".join((directive, *sources, *sorted(extra.get(directive, ())))) for directive, sources in POLICY.items()
    )


class ContentSecurityPolicyMiddleware:
    """Adds the policy to HTML responses (files, JSON and CSV need none)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and HEADER not in response:
            response[HEADER] = header_value()
        return response
