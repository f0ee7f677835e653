"""Our signing keys: the newest active key signs, every key not yet retired is published.

Rotation without a broken launch: ``manage.py lti_keys rotate`` adds a new key, which signs from then on,
while the old one stays in the JWKS so a platform that cached our key set (or holds a token we signed)
still verifies; ``manage.py lti_keys retire KID`` takes an old key out once platforms have refetched.
The first key is made on first use, so a fresh install needs no step.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from jwcrypto.jwk import JWK

from .models import ToolKey

KEY_BITS = 2048  # what LTI 1.3 platforms (Moodle, Canvas) expect for RS256


class CannotRetire(Exception):
    """Retiring the key would leave nothing to sign with."""


def _jwk(key: ToolKey) -> JWK:
    return JWK.from_pem(key.private_pem.encode())


@transaction.atomic
def create_key() -> ToolKey:
    """A new RSA key; it signs from now on."""
    jwk = JWK.generate(kty="RSA", size=KEY_BITS)
    pem = jwk.export_to_pem(private_key=True, password=None).decode()
    return ToolKey.objects.create(kid=jwk.thumbprint(), private_pem=pem)


def signing_key() -> ToolKey:
    """The newest key not retired, made on first use."""
    key = ToolKey.objects.filter(retired_at__isnull=True).first()
    return key if key is not None else create_key()


def public_pem(key: ToolKey) -> str:
    return _jwk(key).export_to_pem().decode()


def public_jwk(key: ToolKey) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_jwk(key).export_public())
    return {**data, "kid": key.kid, "alg": "RS256", "use": "sig"}


def key_set() -> dict[str, list[dict[str, Any]]]:
    """The JWKS we publish: every key not retired (the signing key first)."""
    signing_key()
    return {"keys": [public_jwk(key) for key in ToolKey.objects.filter(retired_at__isnull=True)]}


@transaction.atomic
def retire(kid: str) -> ToolKey:
    """Stop publishing a key (platforms stop accepting what it signed); never the last one."""
    key = ToolKey.objects.select_for_update().get(kid=kid, retired_at__isnull=True)
    if not ToolKey.objects.filter(retired_at__isnull=True).exclude(pk=key.pk).exists():
        raise CannotRetire(kid)
    key.retired_at = timezone.now()
    key.save(update_fields=["retired_at"])
    return key
