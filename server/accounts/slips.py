"""The printable login slips: one card per person, cut apart and handed out one by one.

A table with everyone's passwords lets each reader see the whole class's; a slip carries only its
holder's name, group, login, one-time password, and the site's address with a QR code of it (phones
open the address from the code; nobody types a URL on a phone keyboard).
"""

from __future__ import annotations

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


def site_address(request: HttpRequest) -> str:
    """Where the slip's holder logs in: this site's login page, as the curator's browser reached it."""
    return request.build_absolute_uri(reverse("login"))


def qr_svg(address: str) -> SafeString:
    """The address as an inline SVG QR code: markup, not script, so the Content-Security-Policy allows it.

    ``segno`` writes the SVG from the encoded modules only (the address appears in no attribute), so it
    is safe to insert as is.
    """
    return mark_safe(segno.make(address, error="m", micro=False).svg_inline(scale=3, svgclass="slip-qr"))  # noqa: S308
