"""Our key set: made on first use, rotated without breaking what platforms verify, retired explicitly."""

from __future__ import annotations

import io

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from jwcrypto.jwk import JWK

from lti import keys
from lti.models import ToolKey


def _kids(client: Client) -> list[str]:
    response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    return [key["kid"] for key in response.json()["keys"]]


def test_the_first_key_is_made_on_first_use_and_published_as_an_rs256_signing_key(db):
    response = Client().get("/lti/jwks.json")
    [key] = response.json()["keys"]
    assert (key["kty"], key["alg"], key["use"], key["kid"]) == ("RSA", "RS256", "sig", ToolKey.objects.get().kid)
    assert "d" not in key  # never the private part


def test_rotation_signs_with_the_new_key_while_the_old_one_still_verifies_until_retired(db):
    old = keys.signing_key()
    token = jwt.encode({"a": 1}, old.private_pem, algorithm="RS256", headers={"kid": old.kid})
    out = io.StringIO()
    call_command("lti_keys", "rotate", stdout=out)
    new = keys.signing_key()
    assert new.kid != old.kid
    assert _kids(Client()) == [new.kid, old.kid]
    published = {k["kid"]: k for k in keys.key_set()["keys"]}
    assert jwt.decode(token, JWK(**published[old.kid]).export_to_pem(), algorithms=["RS256"]) == {"a": 1}
    call_command("lti_keys", "retire", "--", old.kid, stdout=out)
    assert _kids(Client()) == [new.kid]


def test_the_last_key_cannot_be_retired(db):
    only = keys.signing_key()
    with pytest.raises(CommandError, match="rotate first"):
        call_command("lti_keys", "retire", "--", only.kid, stdout=io.StringIO())
    assert _kids(Client()) == [only.kid]


def test_a_kid_that_starts_with_a_dash_is_named_after_the_separator(db):
    """Thumbprints are base64url: about one kid in 64 starts with '-', which argparse would take for an option."""
    keys.signing_key()
    with pytest.raises(CommandError, match="no active key -Ab3"):
        call_command("lti_keys", "retire", "--", "-Ab3", stdout=io.StringIO())
