"""Where the OIDC handshake keeps its values between the login redirect and the launch: the database.

Why not PyLTI1p3's defaults: its session storage uses the Django session, whose cookie is SameSite=Lax and so
never comes back with the platform's cross-site form POST; its cache storage is per process with the default
local-memory cache, so a launch reaching another daphne process than the login fails. Rows here are shared by
every process and expire; keys are prefixed with a browser id kept in the library's own SameSite=None cookie.

The nonce is *consumed*: the library only checks that a saved nonce exists, so the same id_token posted again
(a replayed launch) would pass. :meth:`LaunchSession.check_nonce` deletes it in the same statement that finds it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService

from .models import LaunchValue

NONCE_SECONDS = 600  # the library's state cookie lives 5 minutes; a slow LMS login page gets as long again


class DatabaseStorage(LaunchDataStorage[Any]):
    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = LaunchValue.objects.filter(key=self._prepare_key(key), expires_at__gt=timezone.now()).first()
        return None if row is None else row.value

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        expires = timezone.now() + timedelta(seconds=exp or 3600)
        LaunchValue.objects.update_or_create(
            key=self._prepare_key(key), defaults={"value": value, "expires_at": expires}
        )

    def check_value(self, key: str) -> bool:
        return LaunchValue.objects.filter(key=self._prepare_key(key), expires_at__gt=timezone.now()).exists()

    def take_value(self, key: str) -> bool:
        """Delete the value; True if it was there (and unexpired): at most one caller ever gets True."""
        deleted, _ = LaunchValue.objects.filter(key=self._prepare_key(key), expires_at__gt=timezone.now()).delete()
        return deleted > 0


class LaunchSession(SessionService):
    """The library's session service over :class:`DatabaseStorage`, with one-time nonces."""

    # Launch data lives as long as a teacher may take to fill in the Deep Linking form.
    _launch_data_lifetime = 3600

    def save_nonce(self, nonce: str) -> None:
        """Kept as long as the state cookie may come back (anyone may start a login: the rows stay few)."""
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=NONCE_SECONDS)

    def check_nonce(self, nonce: str) -> bool:
        storage = self.data_storage
        assert isinstance(storage, DatabaseStorage)
        return storage.take_value(self._get_key("nonce", nonce))


def purge_expired() -> int:
    """Delete expired values (called on each login initiation: the table stays small without a cron job)."""
    deleted, _ = LaunchValue.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
