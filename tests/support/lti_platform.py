"""A small LTI 1.3 platform (an LMS) for tests: a real HTTP server in a thread with real RSA keys.

What it serves, as an LMS does (IMS LTI 1.3 Core, Deep Linking 2.0, NRPS 2.0, AGS 2.0):

* ``GET /jwks`` – its public keys (the tool verifies every ``id_token`` against them);
* ``GET /auth`` – the OIDC authorisation endpoint: the tool's redirect arrives here with ``state``, ``nonce``,
  ``redirect_uri`` and ``lti_message_hint``; it answers with a self-submitting form POSTing the signed
  ``id_token`` and ``state`` to ``redirect_uri`` (what a browser sees from Moodle);
* ``GET /course/<hint>`` – a course page whose link starts the third-party login at the tool;
* ``POST /token`` – OAuth2 client credentials: checks the tool's signed ``client_assertion`` against the tool's
  key set, hands out a bearer token for the asked scopes;
* ``GET /nrps/<context>`` – the course roster (:attr:`TestPlatform.members`), bearer token with the NRPS scope;
* ``POST /lineitems/<id>/scores`` – AGS scores, recorded in :attr:`TestPlatform.scores`;
* ``POST /deep_link_return`` – the tool's Deep Linking answer, its JWT verified and recorded.

Launches are prepared with :meth:`TestPlatform.prepare` (claims for one ``lti_message_hint``); in-process tests
skip the browser and drive the handshake with :meth:`TestPlatform.sign_for_redirect`.
"""

from __future__ import annotations

import functools
import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER, INSTRUCTOR, MENTOR, ADMINISTRATOR = LIS + "Learner", LIS + "Instructor", LIS + "Mentor", LIS + "Administrator"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# How often the server looks for a shutdown request: stop() waits up to this long (the default 0.5 s, once per test).
SHUTDOWN_POLL_SECONDS = 0.02


def rsa_key() -> JWK:
    return JWK.generate(kty="RSA", size=2048)


@dataclass
class TestPlatform:
    """The platform; ``client_id`` and ``deployment_id`` are what it registered the tool with."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    client_id: str = "tool-client-1"
    deployment_id: str = "deployment-1"
    context_id: str = "course-101"
    key: JWK = field(default_factory=rsa_key)
    tool_key_set: dict[str, Any] | str = field(default_factory=dict)  # the tool's JWKS, or its URL
    tool_login_url: str = ""
    members: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    deep_link_answers: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    registered: Any = None  # the tool's registration of this platform (lti.models.Platform), set by the test

    # --- the server --------------------------------------------------------------------------

    def start(self) -> TestPlatform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                platform._handle(self, "GET")

            def do_POST(self) -> None:
                platform._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = functools.partial(self.server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def kid(self) -> str:
        return self.key.thumbprint()

    def registration(self) -> dict[str, str]:
        """What an administrator types into our admin for this platform."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.url + "/auth",
            "auth_token_url": self.url + "/token",
            "key_set_url": self.url + "/jwks",
            "deployment_id": self.deployment_id,
        }

    # --- launches ----------------------------------------------------------------------------

    def claims(
        self,
        sub: str,
        roles: list[str],
        message_type: str = "LtiResourceLinkRequest",
        custom: dict[str, str] | None = None,
        lineitem: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The body of an ``id_token`` for ``sub`` in the platform's course (``nonce``/``aud`` come at signing).

        The person is enrolled in the course's roster (NRPS) as well, as in an LMS.
        """
        names = {
            "given_name": extra.pop("given_name", "Имя"),
            "family_name": extra.pop("family_name", sub.capitalize()),
        }
        self.enrol(sub, roles, **names)
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            **names,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": roles,
            LTI + "context": {"id": self.context_id, "label": "PHY-101", "title": "Физика 101"},
            LTI + "target_link_uri": "",
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/nrps/{self.context_id}",
                "service_versions": ["2.0"],
            },
        }
        if message_type == "LtiResourceLinkRequest":
            body[LTI + "resource_link"] = {"id": "link-" + secrets.token_hex(4)}
            body[LTI + "custom"] = custom or {}
            body["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": [SCORE_SCOPE],
                "lineitems": f"{self.url}/lineitems",
                **({"lineitem": lineitem} if lineitem else {}),
            }
        else:
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": self.url + "/deep_link_return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window", "iframe"],
                "data": "dl-" + secrets.token_hex(4),
            }
        body.update(extra)
        return body

    def enrol(self, sub: str, roles: list[str], status: str = "Active", **names: str) -> None:
        """Put a person on the course roster (or change their roles or status there)."""
        self.members = [m for m in self.members if m["user_id"] != sub]
        self.members.append({"user_id": sub, "roles": roles, "status": status, **names})

    def prepare(self, claims: dict[str, Any]) -> str:
        """Keep a launch's claims under a fresh ``lti_message_hint`` (what the course page's link carries)."""
        hint = secrets.token_hex(8)
        self.pending[hint] = claims
        return hint

    def login_parameters(self, hint: str, target: str = "") -> dict[str, str]:
        """The third-party login initiation the platform sends the tool."""
        return {
            "iss": self.issuer,
            "login_hint": self.pending[hint]["sub"],
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
            "target_link_uri": target,
        }

    def sign(self, body: dict[str, Any], key: JWK | None = None, lifetime: int = 300, kid: str | None = None) -> str:
        now = int(time.time())
        body = {"aud": self.client_id, "iat": now, "exp": now + lifetime, **body}
        signer = key or self.key
        pem = signer.export_to_pem(private_key=True, password=None)
        return jwt.encode(body, pem, algorithm="RS256", headers={"kid": kid or self.key.thumbprint()})

    def sign_for_redirect(self, location: str, **signing: Any) -> dict[str, str]:
        """What the platform's auth endpoint posts back for the tool's redirect ``location``: id_token + state."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        claims = dict(self.pending[query["lti_message_hint"]])
        claims.setdefault("nonce", query["nonce"])
        claims[LTI + "target_link_uri"] = query["redirect_uri"]
        return {
            "id_token": self.sign(claims, **signing),
            "state": query["state"],
            "redirect_uri": query["redirect_uri"],
        }

    # --- the tool's signatures -----------------------------------------------------------------

    def tool_keys(self) -> dict[str, Any]:
        if isinstance(self.tool_key_set, str):
            return requests.get(self.tool_key_set, timeout=10).json()
        return self.tool_key_set

    def verify_from_tool(self, token: str, audience: str) -> dict[str, Any]:
        """A JWT the tool signed, checked against the tool's published keys (by ``kid``)."""
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(k for k in self.tool_keys()["keys"] if k["kid"] == kid)
        pem = JWK(**key).export_to_pem()
        return jwt.decode(token, pem, algorithms=["RS256"], audience=audience)

    # --- request handling --------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            status, content_type, body = self._route(method, parts.path, query, raw, request.headers)
        except Exception as error:  # a test platform says what went wrong instead of hanging the tool
            status, content_type, body = 500, "text/plain", f"{type(error).__name__}: {error}".encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _route(self, method: str, path: str, query: dict, raw: bytes, headers: Any) -> tuple[int, str, bytes]:
        if path == "/jwks":
            public = json.loads(self.key.export_public())
            return _json({"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]})
        if path == "/auth":
            answer = self.sign_for_redirect("/auth?" + urlencode(query))
            return 200, "text/html; charset=utf-8", _auto_post(answer["redirect_uri"], answer).encode()
        if path.startswith("/course/"):
            hint = path.removeprefix("/course/")
            target = self.tool_login_url + "?" + urlencode(self.login_parameters(hint))
            return 200, "text/html; charset=utf-8", f'<a id="launch" href="{html.escape(target)}">Open</a>'.encode()
        if path == "/token" and method == "POST":
            return self._token({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        if path == "/deep_link_return" and method == "POST":
            token = parse_qs(raw.decode())["JWT"][0]
            self.deep_link_answers.append(self.verify_from_tool(token, audience=self.issuer))
            return 200, "text/html; charset=utf-8", b'<p id="deep-link-received">Received</p>'
        if path.startswith("/nrps/"):
            self._require(headers, NRPS_SCOPE)
            container = {"id": self.url + path, "context": {"id": self.context_id}, "members": self.members}
            return 200, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json", json.dumps(container).encode()
        if path.startswith("/lineitems/") and path.endswith("/scores") and method == "POST":
            self._require(headers, SCORE_SCOPE)
            assert headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
            self.scores.append({"lineitem": self.url + path.removesuffix("/scores"), **json.loads(raw)})
            return 200, "application/json", b"{}"
        return 404, "text/plain", b"not found"

    def _token(self, form: dict[str, str]) -> tuple[int, str, bytes]:
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return 400, "application/json", b'{"error": "unsupported_grant_type"}'
        try:
            assertion = self.verify_from_tool(form["client_assertion"], audience=self.url + "/token")
        except (jwt.InvalidTokenError, StopIteration, KeyError):
            return 401, "application/json", b'{"error": "invalid_client"}'
        if assertion["iss"] != self.client_id or assertion["sub"] != self.client_id:
            return 401, "application/json", b'{"error": "invalid_client"}'
        token = secrets.token_urlsafe(16)
        self.tokens[token] = form.get("scope", "").split()
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": form.get("scope")})

    def _require(self, headers: Any, scope: str) -> None:
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if scope not in self.tokens.get(token, []):
            raise PermissionError(f"no bearer token with {scope}")


def _json(data: dict[str, Any]) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(data).encode()


def _auto_post(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
        if k in {"id_token", "state"}
    )
    return (
        f'<form id="f" method="post" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.getElementById('f').submit()</script>"
    )


def new_sub() -> str:
    return "user-" + uuid.uuid4().hex[:8]
