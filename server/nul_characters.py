"""Requests whose path, query string or form fields carry a NUL character are refused with 400.

PostgreSQL cannot store or even compare text containing NUL: a view that looks a value up as it came
(``/proctor/evidence/a%00b/``, the LMS login's ``iss``) raised DataError, an HTTP 500 on PostgreSQL only
(found sending the fuzzers' nastiest values to PostgreSQL). No field of ours means anything with a NUL in
it, so such requests are refused once, before any view, whatever the database. Django's form fields already
refuse NUL; this covers the values views read directly. Multipart bodies are not parsed here (uploads are
checked by their views).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

NUL = "\x00"
FORM = "application/x-www-form-urlencoded"


def carries_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    fields = [request.GET]
    if request.method == "POST" and request.content_type == FORM:
        fields.append(request.POST)
    return any(NUL in key or any(NUL in value for value in values) for query in fields for key, values in query.lists())


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if carries_nul(request):
            return HttpResponseBadRequest("NUL characters are not accepted", content_type="text/plain")
        return self.get_response(request)
