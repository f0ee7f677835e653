"""Launches the tool must refuse, each with a page that says why (Russian; English with the English locale).

These are the attacks tried on the tool: a forged or expired token, a replayed launch, a token for another
tool or another deployment, another platform's key, the HS256-with-the-public-key trick, a launch without the
browser that started it, a learner asking for Deep Linking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.test import Client

from lti.models import Placement, PlatformAccount
from proctor.models import Exam
from tests.support.lti_platform import INSTRUCTOR, LEARNER, TestPlatform, new_sub, rsa_key

from .conftest import launch, placed_exam, register


def refusal_code(response) -> str:
    text = response.content.decode()
    return text.split('data-code="', 1)[1].split('"', 1)[0]


def _claims(lms):
    return lms.claims(new_sub(), [LEARNER], custom={"placement": placed_exam(lms).token})


def test_a_token_signed_with_another_key_under_the_platforms_kid_is_refused(lms):
    response = launch(Client(), lms, _claims(lms), key=rsa_key())
    assert (response.status_code, refusal_code(response)) == (403, "signature")


def test_an_expired_token_is_refused(lms):
    response = launch(Client(), lms, _claims(lms), lifetime=-60)
    assert (response.status_code, refusal_code(response)) == (403, "expired")


def test_a_replayed_launch_is_refused_even_from_the_same_browser(lms):
    client = Client()
    hint = lms.prepare(_claims(lms))
    login = client.get("/lti/login/", lms.login_parameters(hint))
    answer = lms.sign_for_redirect(login["Location"])
    form = {"id_token": answer["id_token"], "state": answer["state"]}
    assert client.post("/lti/launch/", form).status_code == 302
    again = client.post("/lti/launch/", form)
    assert (again.status_code, refusal_code(again)) == (403, "replayed")


def test_a_launch_posted_from_another_browser_has_no_state_and_is_refused(lms):
    hint = lms.prepare(_claims(lms))
    login = Client().get("/lti/login/", lms.login_parameters(hint))
    answer = lms.sign_for_redirect(login["Location"])
    stolen = Client().post("/lti/launch/", {"id_token": answer["id_token"], "state": answer["state"]})
    assert (stolen.status_code, refusal_code(stolen)) == (400, "state")


def test_an_unknown_deployment_is_refused(lms):
    claims = _claims(lms)
    claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "deployment-not-registered"
    response = launch(Client(), lms, claims)
    assert (response.status_code, refusal_code(response)) == (403, "deployment")


@pytest.mark.parametrize(
    "audience",
    [
        {"aud": "another-tool"},
        {"aud": ["another-tool", "tool-client-1"], "azp": "another-tool"},
        {"aud": ["tool-client-1", "another-tool"]},  # several audiences need azp naming us
        {"aud": ["tool-client-1", "another-tool"], "azp": "another-tool"},
    ],
)
def test_a_token_for_another_audience_is_refused(lms, audience):
    claims = {**_claims(lms), **audience}
    response = launch(Client(), lms, claims)
    assert (response.status_code, refusal_code(response)) == (403, "platform")


def test_several_audiences_with_azp_naming_the_tool_are_accepted(lms):
    claims = {**_claims(lms), "aud": ["tool-client-1", "another-tool"], "azp": "tool-client-1"}
    assert launch(Client(), lms, claims).status_code == 302


def test_another_registered_platform_cannot_sign_for_this_one(lms):
    evil = TestPlatform(client_id="evil-client").start()
    try:
        register(evil)
        claims = _claims(lms)  # iss and aud of the real platform, signed with the other platform's key
        response = launch(Client(), lms, claims, key=evil.key, kid=evil.kid)
        assert (response.status_code, refusal_code(response)) == (403, "signature")
    finally:
        evil.stop()


def test_hs256_signed_with_the_platforms_public_key_is_refused(lms):
    client = Client()
    hint = lms.prepare(_claims(lms))
    login = client.get("/lti/login/", lms.login_parameters(hint))
    answer = lms.sign_for_redirect(login["Location"])
    body = json.loads(base64.urlsafe_b64decode(answer["id_token"].split(".")[1] + "=="))

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = part({"alg": "HS256", "kid": lms.kid, "typ": "JWT"}) + "." + part(body)
    secret = lms.key.export_to_pem()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    response = client.post("/lti/launch/", {"id_token": forged, "state": answer["state"]})
    assert (response.status_code, refusal_code(response)) == (403, "signature")


def test_a_token_without_expiry_is_refused_as_malformed(lms):
    client = Client()
    hint = lms.prepare(_claims(lms))
    login = client.get("/lti/login/", lms.login_parameters(hint))
    query = login["Location"]
    answer = lms.sign_for_redirect(query)
    import jwt

    body = jwt.decode(answer["id_token"], options={"verify_signature": False})
    del body["exp"]
    pem = lms.key.export_to_pem(private_key=True, password=None)
    token = jwt.encode(body, pem, algorithm="RS256", headers={"kid": lms.kid})
    response = client.post("/lti/launch/", {"id_token": token, "state": answer["state"]})
    assert (response.status_code, refusal_code(response)) == (400, "malformed")


def test_login_from_an_unregistered_or_disabled_issuer_is_refused(lms):
    parameters = lms.login_parameters(lms.prepare(_claims(lms)))
    unknown = Client().get("/lti/login/", {**parameters, "iss": "https://unknown.example"})
    assert (unknown.status_code, refusal_code(unknown)) == (403, "platform")
    lms.registered.active = False
    lms.registered.save()
    disabled = Client().get("/lti/login/", parameters)
    assert (disabled.status_code, refusal_code(disabled)) == (403, "platform")


def test_refusal_pages_speak_russian_and_english_with_the_english_locale(lms):
    response = launch(Client(), lms, _claims(lms), lifetime=-60)
    assert "Срок действия запуска истёк" in response.content.decode()
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = launch(english, lms, _claims(lms), lifetime=-60)
    assert "The launch has expired" in response.content.decode()


def test_a_learner_cannot_start_deep_linking_and_nothing_is_created(lms):
    sub = new_sub()
    response = launch(Client(), lms, lms.claims(sub, [LEARNER], message_type="LtiDeepLinkingRequest"))
    assert (response.status_code, refusal_code(response)) == (403, "deep_linking")
    assert not PlatformAccount.objects.filter(sub=sub).exists()


def test_the_same_sub_on_two_platforms_is_two_people_and_links_do_not_cross(lms):
    other = TestPlatform(client_id="other-client").start()
    try:
        register(other)
        other.tool_key_set = lms.tool_key_set
        sub = "shared-sub-42"
        mine = placed_exam(lms)
        theirs = placed_exam(other)
        assert launch(Client(), lms, lms.claims(sub, [INSTRUCTOR], custom={"placement": mine.token})).status_code == 302
        crossing = launch(Client(), other, other.claims(sub, [LEARNER], custom={"placement": mine.token}))
        assert (crossing.status_code, refusal_code(crossing)) == (404, "placement")
        assert (
            launch(Client(), other, other.claims(sub, [LEARNER], custom={"placement": theirs.token})).status_code == 302
        )
        accounts = PlatformAccount.objects.filter(sub=sub)
        assert accounts.count() == 2
        assert len({account.user_id for account in accounts}) == 2
        assert Exam.objects.filter(proctors__lti_accounts__sub=sub).count() == 1  # only the instructor's own exam
        assert Placement.objects.count() == 2
    finally:
        other.stop()


def test_message_types_the_tool_does_not_take_are_refused(lms):
    claims = lms.claims(new_sub(), [LEARNER], message_type="LtiSubmissionReviewRequest")
    claims["https://purl.imsglobal.org/spec/lti/claim/for_user"] = {"user_id": "someone"}
    response = launch(Client(), lms, claims)
    assert (response.status_code, refusal_code(response)) == (400, "malformed")
    assert not PlatformAccount.objects.exists()


def test_a_token_naming_an_unregistered_issuer_is_refused(lms):
    claims = {**_claims(lms), "iss": "https://forged-lms.example"}
    response = launch(Client(), lms, claims)
    assert (response.status_code, refusal_code(response)) == (403, "platform")


def test_over_https_the_handshake_cookies_cross_sites_and_the_session_cookie_does_not(lms):
    """The platform's form POST comes from another site: only SameSite=None cookies come back with it."""
    client = Client()
    hint = lms.prepare(_claims(lms))
    login = client.post("/lti/login/", lms.login_parameters(hint), secure=True)  # Moodle posts the initiation
    assert login.status_code == 302
    handshake = {name: cookie for name, cookie in login.cookies.items() if name.startswith("lti1p3-")}
    assert len(handshake) == 2  # the state, and the browser id the nonce is kept under
    for cookie in handshake.values():
        assert (cookie["samesite"], bool(cookie["secure"]), bool(cookie["httponly"])) == ("None", True, True)
    answer = lms.sign_for_redirect(login["Location"])
    landed = client.post("/lti/launch/", {"id_token": answer["id_token"], "state": answer["state"]}, secure=True)
    assert landed.status_code == 302
    assert landed.cookies[settings.SESSION_COOKIE_NAME]["samesite"] == "Lax"
