"""Every HTTP route of the project, found by walking Django's URL resolver, and hostile requests for them.

New routes are fuzzed without touching the tests. A route's parameters are filled from its converters' own
patterns (``<int:id>`` gets small ids that name real objects, and 25-digit ones), and requests carry hostile
query strings and bodies: form fields, JSON, multipart files and raw bytes, with Unicode digits ('²', '٣'),
impossible dates, 5,000-digit numbers, NULs, lone surrogates (sent as invalid UTF-8).
"""

from __future__ import annotations

import inspect
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.forms import BaseForm
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import strategies as st

from .frames import ANY_CHARACTER, json_values

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Not fuzzed: logging out ends the role's session for the rest of the run; the admin's POSTs are Django's own
# forms (delete views included), its pages are fuzzed with GET.
LEFT_OUT = re.compile(r"logout/")
ADMIN = "admin/"
PROJECT_PACKAGES = ("chat", "proctor", "lessons", "reports", "lti", "server", "web", "rtc")
READS = re.compile(r"""\.(?:GET|POST)(?:\.get\(|\.getlist\(|\[)["'](\w+)["']|\(request, ["'](\w+)["']""")

# Names the project's views and forms read (grep request.GET/POST and forms), and some they do not.
KNOWN_KEYS = [
    "from", "to", "date", "period", "format", "table", "before", "limit", "student", "run", "reason", "note",
    "comment", "decision", "verdict", "room", "seq", "next", "group", "title", "file", "username", "password",
    "q", "o", "p", "e", "language", "policy", "starts_at", "duration_minutes", "opens_at", "closes_at",
    "materials", "teacher", "students", "all", "id_token", "state", "iss", "login_hint", "target_link_uri",
]  # fmt: skip
HOSTILE_VALUES = [
    "", "0", "-1", "²", "٣", "１２", "1e9", "9" * 5000, "1" * 20, "2024-02-30", "2024-13-45", "9999-12-31",
    "0001-01-01", "10000-01-01", "\x00", "null", "[]", "{}", "true", "../../etc/passwd", "<script>", "%00",
    "term", "week", "month", "fortnight", "csv", "xlsx", "pdf", "roles", "approved", "rejected",
]  # fmt: skip
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain", ""]


@dataclass(frozen=True)
class Route:
    """A URL pattern chain, e.g. ``chat/`` + ``rooms/<int:room_id>/messages``."""

    patterns: tuple[RoutePattern | RegexPattern, ...]
    keys: tuple[str, ...] = ()  # the query and form fields its view's module reads (request.GET.get("date"), ...)

    @property
    def text(self) -> str:
        return "".join(str(pattern) for pattern in self.patterns)

    @property
    def admin(self) -> bool:
        return self.text.startswith(ADMIN)


def all_routes() -> list[Route]:
    def walk(resolver: URLResolver, chain: tuple) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, (*chain, entry.pattern))
            elif isinstance(entry, URLPattern):
                yield Route((*chain, entry.pattern), keys_read_by(entry.callback))

    return [route for route in walk(get_resolver(), ()) if not LEFT_OUT.search(route.text)]


def keys_read_by(view: Any) -> tuple[str, ...]:
    """The field names the view's module (one of the project's) reads: ``request.GET.get("date")``,
    ``_int_param(request, "before", ...)`` and the fields of the forms it uses."""
    module = inspect.getmodule(view)
    if module is None or not module.__name__.startswith(PROJECT_PACKAGES):
        return ()
    forms = [value for value in vars(module).values() if isinstance(value, type) and issubclass(value, BaseForm)]
    names = {name for form in forms for name in getattr(form, "base_fields", {})}
    return tuple(sorted(names | {a or b for a, b in READS.findall(inspect.getsource(module))}))


def _parameter(converter_regex: str) -> st.SearchStrategy[str]:
    if converter_regex == "[0-9]+":
        return st.integers(1, 6).map(str) | st.from_regex(r"[0-9]{1,25}", fullmatch=True)
    return st.from_regex(converter_regex, fullmatch=True).filter(lambda v: "/" not in v or converter_regex == ".+")


@st.composite
def paths(draw: st.DrawFn, route: Route) -> str:
    """A path that resolves to ``route``, parameters hostile."""
    parts = []
    for pattern in route.patterns:
        if isinstance(pattern, RegexPattern):
            parts.append(draw(st.from_regex(pattern.regex, fullmatch=True)).lstrip("^").rstrip("$"))
            continue
        text, position = "", 0
        for match in PARAMETER.finditer(pattern._route):
            converter = pattern.converters[match.group("name")]
            text += pattern._route[position : match.start()] + draw(_parameter(converter.regex))
            position = match.end()
        parts.append(text + pattern._route[position:])
    return "/" + urllib.parse.quote("".join(parts), safe="/", errors="surrogatepass")


hostile_values = st.sampled_from(HOSTILE_VALUES) | st.text(ANY_CHARACTER, max_size=30)


def fields(route: Route | None = None) -> st.SearchStrategy[dict[str, str]]:
    """Hostile fields, named mostly as the route's view reads them."""
    names = st.sampled_from(KNOWN_KEYS) | st.text(ANY_CHARACTER, max_size=8)
    if route is not None and route.keys:
        names = st.sampled_from(route.keys) | names
    return st.dictionaries(names, hostile_values, max_size=5)


def encode(pairs: dict[str, str]) -> str:
    """A query string or form body; a lone surrogate becomes bytes that are not UTF-8."""
    return urllib.parse.urlencode(pairs, errors="surrogatepass")


@dataclass
class Body:
    content_type: str
    data: bytes


@st.composite
def bodies(draw: st.DrawFn, route: Route, csrf_token: str) -> Body:
    kind = draw(st.sampled_from(["form", "json", "multipart", "raw"]))
    if kind == "form":
        return Body(CONTENT_TYPES[1], encode({**draw(fields(route)), "csrfmiddlewaretoken": csrf_token}).encode())
    if kind == "json":
        return Body(CONTENT_TYPES[0], json.dumps(draw(json_values)).encode())
    if kind == "multipart":
        boundary = "fuzzboundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{urllib.parse.quote(name)}"\r\n\r\n'.encode()
            + value.encode(errors="surrogatepass")
            + b"\r\n"
            for name, value in {**draw(fields(route)), "csrfmiddlewaretoken": csrf_token}.items()
        ]
        upload = draw(st.binary(max_size=2000))
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{draw(st.text(max_size=20))}"\r\n'
            f"Content-Type: {draw(st.sampled_from(['image/jpeg', 'image/png', 'application/pdf', 'text/csv']))}"
            "\r\n\r\n".encode(errors="surrogatepass")
            + upload
            + b"\r\n"
        )
        return Body(f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode())
    return Body(draw(st.sampled_from(CONTENT_TYPES)), draw(st.binary(max_size=500)))


def _plain_parameter(converters: dict, text: str, match: re.Match[str]) -> str:
    return "1" if converters[match.group("name")].regex == "[0-9]+" else text


def has_text_parameter(route: Route) -> bool:
    return any(
        converter.regex != "[0-9]+"
        for pattern in route.patterns
        if isinstance(pattern, RoutePattern)
        for converter in pattern.converters.values()
    )


def plain_path(route: Route, text: str = "x") -> str:
    """The route's path with every integer parameter 1 (ids of the demo school's first objects) and every other
    one ``text`` (URL-quoted here)."""
    parts = []
    for pattern in route.patterns:
        if isinstance(pattern, RegexPattern):  # the admin's app index and catch-all: their first choice, or nothing
            text = re.sub(r"\(\?P<\w+>([^)|]*)[^)]*\)", r"\1", pattern.regex.pattern).strip("^$")
            parts.append(text.replace(".*", ""))
            continue
        quoted = urllib.parse.quote(text, safe="", errors="surrogatepass")
        parts.append(PARAMETER.sub(partial(_plain_parameter, pattern.converters, quoted), pattern._route))
    return "/" + "".join(parts)
