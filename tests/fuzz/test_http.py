"""Every HTTP route, as every role and anonymously, with hostile paths, query strings and bodies, on a real
daphne: never HTTP 500, never a traceback in the log (issue 13 "Fuzz"). Routes come from the URL resolver
(tests/fuzz/routes.py), so a new view is fuzzed without touching this file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.client import Session

from .routes import Body, Route, all_routes, bodies, encode, fields, has_text_parameter, paths, plain_path
from .target import Target

ROUTES = all_routes()
MAX_QUERY_CHARS = 8000
PROXY_HEADER_BUFFER_BYTES = 4096
REFUSED = {401, 403, 404, 405}
LOGIN = "/accounts/login/"
NASTIEST = ["²", "9" * 5000, "1" * 20, "2024-02-30", "9999-12-31", "\x00", "\ud800"]  # each was a 500 somewhere
ADMIN_SESSIONS = ("anonymous", "admin")  # the admin site lets only these two tell anything apart
SESSIONS = ("anonymous", "admin", "director", "curator", "teacher", "proctor", "student", "parent")


def send(session: Session, method: str, path: str, body: Body | None = None) -> tuple[int, int]:
    """The status and the size of the response's headers."""
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", "")}
    if body is not None:
        headers["Content-Type"] = body.content_type
    status, answer, _ = session.request(method, path, body.data if body else None, headers)
    return status, sum(len(name) + len(value) + 4 for name, value in answer.items())


def test_every_route_answers_every_role_without_a_server_error(sessions: dict[str, Session], fuzz_target: Target):
    sweep(sessions, fuzz_target)


@pytest.mark.postgres
def test_every_route_answers_every_role_without_a_server_error_on_postgres(
    sessions: dict[str, Session], fuzz_target: Target
) -> None:
    """The same sweep in the PostgreSQL pass: PostgreSQL refuses what SQLite takes (NUL in text, ids past 2⁶³)."""
    sweep(sessions, fuzz_target)


def sweep(sessions: dict[str, Session], fuzz_target: Target) -> None:
    """The plain sweep: each route once per role, GET and an empty POST (the admin site: GET, as the admin and
    anonymously); as the first role let in, again with each of the nastiest values in every field the view reads
    (the other roles get hostile fields from the Hypothesis test below)."""
    fuzz_target.mark()
    failures = []
    for route in ROUTES:
        path = plain_path(route)
        nasty_sent: set[str] = set()  # methods already sent the nasty values (as the first role let in)
        for name in ADMIN_SESSIONS if route.admin else SESSIONS:
            session = sessions[name]
            token = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
            for method in ["GET"] if route.admin else ["GET", "POST"]:
                status, location = send_fields(session, method, path, token)
                if status >= 500:
                    failures.append(f"{name} {method} {path}: {status}")
                if status in REFUSED or location.startswith(LOGIN) or not route.keys or method in nasty_sent:
                    continue
                nasty_sent.add(method)
                for value, keys in nastiest_fields(route.keys, method):
                    status, _ = send_fields(session, method, path, {**token, **dict.fromkeys(keys, value)})
                    if status >= 500:
                        failures.append(f"{name} {method} {path} {keys}={value[:20]!r}: {status}")
        if has_text_parameter(route) and not route.admin:  # a token or id that is text: the nasty values there
            for value in NASTIEST:
                status, _ = send_fields(sessions["admin"], "GET", plain_path(route, value[:100]), {})
                if status >= 500:
                    failures.append(f"admin GET {plain_path(route, value[:20])}: {status}")
    assert len(ROUTES) > 50
    assert failures == []
    assert fuzz_target.tracebacks() == []


def nastiest_fields(keys: tuple[str, ...], method: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Each nasty value in all the fields at once; a long one in one query field at a time (daphne drops a
    request line over 16 KB without an answer, nginx refuses it with 414: neither reaches the application)."""
    for value in NASTIEST:
        if method == "GET" and len(value) * len(keys) > MAX_QUERY_CHARS:
            yield from ((value, (key,)) for key in keys)
        else:
            yield value, keys


def send_fields(session: Session, method: str, path: str, fields: dict[str, str]) -> tuple[int, str]:
    """GET with the fields as the query string, or POST them as a form; the status and any redirect."""
    form = encode(fields).encode()
    if method == "GET":
        status, headers, _ = session.request("GET", f"{path}?{form.decode()}")
    else:
        status, headers, _ = session.request("POST", path, form, {"Content-Type": "application/x-www-form-urlencoded"})
    return status, headers.get("location", "")


def test_hostile_requests_never_get_a_server_error(sessions: dict[str, Session], fuzz_target: Target):
    fuzz_target.mark()

    @settings(settings.get_profile("fuzz"), max_examples=settings.get_profile("fuzz").max_examples * 5)
    @given(
        name=st.sampled_from(SESSIONS),
        route=st.sampled_from(ROUTES),
        post=st.booleans(),
        data=st.data(),
    )
    def fuzz(name: str, route: Route, post: bool, data: st.DataObject) -> None:
        session = sessions[name]
        query = data.draw(fields(route))
        path = data.draw(paths(route)) + ("?" + encode(query) if query else "")
        body = data.draw(bodies(route, session.cookies.get("csrftoken", ""))) if post and not route.admin else None
        status, header_bytes = send(session, "POST" if body else "GET", path, body)
        request = f"{name} {'POST' if body else 'GET'} {path[:300]} {body!r:.300}"
        assert status < 500, f"{request}: HTTP {status}\n" + "\n".join(fuzz_target.tracebacks()[-5:])
        # nginx's default buffer for an upstream's headers: a larger answer took the daphne out of the balancer
        assert header_bytes < PROXY_HEADER_BUFFER_BYTES, f"{request}: {header_bytes} bytes of response headers"

    fuzz()
    assert fuzz_target.tracebacks() == []
