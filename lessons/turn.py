"""ICE servers for a participant: STUN as configured, TURN with short-lived credentials.

coturn's shared-secret ("TURN REST API") scheme: coturn runs with ``use-auth-secret`` and
``static-auth-secret=<LESSONS_TURN_SECRET>``; we hand each participant
``username = "<expiry unix time>:<user id>"`` and ``credential = base64(HMAC-SHA1(secret, username))``.
coturn recomputes the HMAC and refuses the pair after the expiry time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credentials(user_id: int, secret: str, ttl_seconds: int, now: float | None = None) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + ttl_seconds)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(user_id: int) -> list[dict]:
    servers: list[dict] = []
    if settings.LESSONS_STUN_URLS:
        servers.append({"urls": list(settings.LESSONS_STUN_URLS)})
    if settings.LESSONS_TURN_URLS and settings.LESSONS_TURN_SECRET:
        username, credential = turn_credentials(
            user_id, settings.LESSONS_TURN_SECRET, settings.LESSONS_TURN_TTL_SECONDS
        )
        servers.append({"urls": list(settings.LESSONS_TURN_URLS), "username": username, "credential": credential})
    return servers
