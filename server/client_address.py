"""The client's real address behind the school's reverse proxy, for HTTP and WebSockets alike.

Behind nginx every connection comes from the proxy, so the login lock-out (per login and address),
the audit log and consent records would all see one address: five wrong passwords typed for
someone else's login would lock that person out everywhere. nginx appends the address it saw to
``X-Forwarded-For``; this ASGI middleware believes that header only when the connection itself
comes from an address in ``TRUSTED_PROXIES`` (empty by default: the header is ignored), and takes
the right-most address not in that list — entries further left were written by the client and
prove nothing.

daphne's own ``--proxy-headers`` is not used: it believes the header from any peer and takes its
left-most entry, which the client controls, and a daphne that Janus reaches directly (its event
posts) would then accept any address from anyone on that network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = b"x-forwarded-for"
MAX_HOPS = 20  # a longer header is not a chain of proxies we run


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """``TRUSTED_PROXIES`` entries (addresses or networks); ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from error
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def real_client(peer: str, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy that says who it forwards for."""
    peer_address = _address(peer)
    if forwarded_for is None or peer_address is None or not any(peer_address in n for n in trusted):
        return peer
    hops = forwarded_for.split(",")
    if len(hops) > MAX_HOPS:
        return peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a hop we cannot read: believe nothing further left
        if not any(address in n for n in trusted):
            return str(address)
    return peer


class RealClientAddress:
    """ASGI middleware: rewrite ``scope["client"]`` (hence Django's ``REMOTE_ADDR``) as :func:`real_client` says."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        trusted = settings.TRUSTED_PROXIES
        if trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            header = next((value for name, value in scope.get("headers", ()) if name == FORWARDED_FOR), None)
            peer = scope["client"][0]
            client = real_client(peer, header.decode("latin-1") if header is not None else None, trusted)
            if client != peer:
                scope = {**scope, "client": [client, 0]}
        return await self.app(scope, receive, send)
