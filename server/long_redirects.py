"""A redirect whose address is too long for a proxy's response-header buffer loses its query string.

The login redirect carries the page asked for (``/accounts/login/?next=<path and query, URL-encoded again>``),
so a request with a 5 KB query string got a Location header of 5 KB or more. nginx's default buffer for an
upstream's response headers is 4 KB: it logged "upstream sent too big header", counted the daphne as failed,
retried on the other one with the same result, and then answered every user 502 "no live upstreams" for its
``fail_timeout`` (10 s) — one anonymous request took the whole site down (found by tests/fuzz on the cluster).
The user still reaches the page's path; only an over-long ``next``/query is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse

MAX_LOCATION_CHARS = 2048  # well inside nginx's 4 KB header buffer with the other headers


def shortened(location: str) -> str:
    """The address without its query string (and fragment) if it is longer than MAX_LOCATION_CHARS."""
    if len(location) <= MAX_LOCATION_CHARS:
        return location
    parts = urlsplit(location)
    short = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return short if len(short) <= MAX_LOCATION_CHARS else "/"


class ShortRedirectsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Location" in response:
            response["Location"] = shortened(response["Location"])
        return response
