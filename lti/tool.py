"""PyLTI1p3 wired to our registrations, keys and storage, with the checks the library leaves out.

What the library checks (pylti1p3 2.0.0 ``MessageLaunch.validate``): the OIDC ``state`` against its cookie,
the JWT's signature against the platform's JWKS (key by ``kid`` and ``alg``), ``exp``/``iat``, that the
nonce was issued to this browser, the registration (``iss`` + first ``aud``) and the deployment id.
What we add here, because the library does not:

* the nonce is used once (:mod:`lti.storage`), so a replayed launch is refused;
* ``aud`` must contain our client id, and with several audiences ``azp`` must be our client id
  (OpenID Connect Core 3.1.3.7); the library only compares the first ``aud``;
* ``exp`` and ``iat`` must be present (PyJWT checks them only if they are);
* every HTTP call to the platform (JWKS, OAuth2 token, services) has a time-out (the library sets none).
"""

from __future__ import annotations

from typing import Any, cast

import requests
from django.http import HttpRequest
from pylti1p3.contrib.django.message_launch import DjangoMessageLaunch
from pylti1p3.contrib.django.oidc_login import DjangoOIDCLogin
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.deployment import Deployment as LibraryDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector
from pylti1p3.tool_config.abstract import ToolConfAbstract

from . import keys
from .models import Deployment, Platform
from .storage import DatabaseStorage, LaunchSession

PLATFORM_TIMEOUT_SECONDS = 10  # a slow LMS delays one launch or one grade, never a server thread for good


class TimedSession(requests.Session):
    """A requests session whose every call gives up after :data:`PLATFORM_TIMEOUT_SECONDS`."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = REQUESTS_USER_AGENT

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def registration(platform: Platform) -> Registration:
    """The library's view of a platform, signing with our current key."""
    key = keys.signing_key()
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_auth_audience(platform.auth_audience)
        .set_key_set_url(platform.key_set_url)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(keys.public_pem(key))
    )


class ToolConf(ToolConfAbstract):
    """Registrations from the :class:`Platform` table (active ones only); one issuer may hold many clients."""

    def __init__(self) -> None:
        self.issuers_relation_types = {}  # the library's is a class attribute shared by every instance

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        if not client_id:
            # OIDC login without client_id: only an issuer with exactly one registration is unambiguous.
            found = list(Platform.objects.filter(issuer=iss, active=True)[:2])
            return found[0] if len(found) == 1 else None
        return Platform.objects.filter(issuer=iss, client_id=client_id, active=True).first()

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise NotImplementedError  # never called: check_iss_has_one_client is always False

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, client_id)
        return registration(platform) if platform else None  # type: ignore[return-value]  # library's contract

    def find_deployment(self, iss: str, deployment_id: str) -> LibraryDeployment | None:
        raise NotImplementedError

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LibraryDeployment | None:
        known = Deployment.objects.filter(
            platform__issuer=iss, platform__client_id=client_id, platform__active=True, deployment_id=deployment_id
        ).exists()
        return LibraryDeployment().set_deployment_id(deployment_id) if known else None


class Launch(DjangoMessageLaunch):
    """A message launch with our storage and the stricter checks listed in the module docstring."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        """``args``/``kwargs``: what the library's ``from_cache`` passes; ours replace them."""
        super().__init__(
            request,
            ToolConf(),
            session_service=LaunchSession(DjangoRequest(request)),
            launch_data_storage=DatabaseStorage(),
            requests_session=TimedSession(),
        )
        # PyJWT's options: the library types them as booleans, but "require" takes the claims' names.
        self.set_jwt_verify_options(cast(dict[str, bool], {"verify_aud": False, "require": ["exp", "iat"]}))

    def validate_jwt_signature(self) -> Launch:
        super().validate_jwt_signature()
        body = self._get_jwt_body()
        client_id = self._registration.get_client_id() if self._registration else None
        audience = body.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if client_id not in audiences:
            raise LtiException("aud does not name this tool")
        if len(audiences) > 1 and body.get("azp") != client_id:
            raise LtiException("azp does not name this tool")
        return self

    def platform(self) -> Platform:
        """The registration the launch was validated against."""
        return Platform.objects.get(issuer=self.get_iss(), client_id=self.get_client_id(), active=True)


def saved_launch(request: HttpRequest, launch_id: str) -> Launch:
    """A launch validated earlier in this browser (Deep Linking's form posts back with its id)."""
    launch = Launch.from_cache(launch_id, request, ToolConf())
    assert isinstance(launch, Launch)
    return launch


def oidc_login(request: HttpRequest) -> DjangoOIDCLogin:
    return DjangoOIDCLogin(
        request,
        ToolConf(),
        session_service=LaunchSession(DjangoRequest(request)),
        launch_data_storage=DatabaseStorage(),
    )


def service_connector(platform: Platform) -> ServiceConnector:
    """Calls to the platform's services (NRPS, AGS) outside a launch, with our OAuth2 client assertion."""
    return ServiceConnector(registration(platform), TimedSession())
