"""ASGI entry point served by daphne: HTTP through Django, WebSockets through Channels.

WebSocket connections must come from an allowed host (Origin checked against
ALLOWED_HOSTS) and carry the Django session, so consumers see ``scope["user"]``. Behind a
proxy listed in TRUSTED_PROXIES, both see the real client's address (server/client_address.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")

from server import memory_trace

memory_trace.install_from_environment()  # opt-in heap growth report for soaks (MEMORY_TRACE_DIR)

django_asgi_app = get_asgi_application()

from server.startup import refuse_unsafe_production_start  # noqa: E402

refuse_unsafe_production_start()

from server.ws import backpressure  # noqa: E402

backpressure.install()  # a flooding client waits in TCP, not in daphne's memory

from server import response_backpressure  # noqa: E402

response_backpressure.install()  # what a slow client has not read yet stays on disk, not in daphne's memory

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from server.client_address import RealClientAddress  # noqa: E402
from server.routing import websocket_urlpatterns  # noqa: E402

application = RealClientAddress(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
