"""The LTI endpoints: OIDC login initiation, the launch, our key set and the Deep Linking form.

The platform's browser POSTs come from another site, so the login and launch views are exempt from CSRF (the
OIDC ``state`` cookie and the signed, one-time ``id_token`` are their protection); the Deep Linking form is
our own page and keeps CSRF. A launch signs the person in (Django's ``login`` cycles the session key).
"""

from __future__ import annotations

import logging

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pylti1p3.exception import LtiException, OIDCException

from server import csp
from server.accounts.http import AuthenticatedHttpRequest

from . import deep_linking, keys, launches, refusals, storage
from .refusals import Refusal
from .tool import Launch, oidc_login, saved_launch

log = logging.getLogger(__name__)


def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    return render(request, "lti/refused.html", {"refusal": refusal}, status=refusal.status)


@csrf_exempt
def login_initiation(request: HttpRequest) -> HttpResponse:
    """Step 1 of the OIDC handshake (GET or POST from the platform): back to its login with state and nonce."""
    storage.purge_expired()
    try:
        response: HttpResponse = oidc_login(request).redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (OIDCException, LtiException) as error:
        log.info("LTI login refused: %s", error)
        return refused(request, refusals.UNKNOWN_PLATFORM)
    return response


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """Step 2: the platform posts the signed ``id_token``; a valid one signs the person in and opens the link."""
    try:
        message = Launch(request)  # refuses a browser without the handshake's cookie
        message.validate()
    except LtiException as error:
        log.info("LTI launch refused: %s", error)
        return refused(request, refusals.from_library(str(error)))
    try:
        arrival = launches.arrive(message)
    except Refusal as refusal:
        return refused(request, refusal)
    login(request, arrival.user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(arrival.destination)


@require_GET
def key_set(request: HttpRequest) -> JsonResponse:
    """Our public keys (JWKS): platforms verify our Deep Linking responses and service tokens with them."""
    response = JsonResponse(keys.key_set())
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_required
def deep_link(request: AuthenticatedHttpRequest, launch_id: str) -> HttpResponse:
    """The teacher's choice (proctored exam or video lesson) for a Deep Linking launch, sent back to the LMS."""
    try:
        message = saved_launch(request, launch_id)
    except LtiException:
        return refused(request, refusals.STATE)
    try:
        choice = deep_linking.Choice(message, request.user, request.POST or None)
    except Refusal as refusal:
        return refused(request, refusal)
    if request.method == "POST" and choice.form.is_valid():
        answer = choice.place(request.build_absolute_uri(reverse("lti:launch")))
        response = render(request, "lti/deep_link_return.html", answer)
        csp.allow(response, "form-action", answer["return_url"])
        return response
    return render(request, "lti/deep_link.html", {"form": choice.form, "course": choice.course})
