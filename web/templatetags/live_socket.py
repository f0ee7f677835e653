"""``{% socket_config %}``: what web/static/js/socket.js needs from the server, once per page.

The close codes are written once, in ``server.ws.CloseCode``; the script reads them from this JSON block
(not executed, so the Content-Security-Policy allows it) instead of re-typing 4403 or 4410.
"""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from server.ws import CloseCode

register = template.Library()
RENDERED = "live_socket.socket_config_rendered"


def socket_config() -> dict[str, dict[str, int]]:
    return {"close_codes": {code.name: int(code) for code in CloseCode}}


@register.simple_tag(name="socket_config", takes_context=True)
def render_socket_config(context: template.Context) -> SafeString:
    """Rendered once per page: the header's notifications socket (base.html) and the page's own socket share it."""
    if context.render_context.get(RENDERED):  # shared by a template and the ones it extends
        return SafeString("")
    context.render_context[RENDERED] = True
    return json_script(socket_config(), "socket-config")
