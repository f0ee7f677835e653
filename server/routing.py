"""All WebSocket routes; each app owns its own list."""

from chat.routing import websocket_urlpatterns as chat_routes
from lessons.routing import websocket_urlpatterns as lesson_routes
from proctor.routing import websocket_urlpatterns as proctor_routes
from server.notifications.routing import websocket_urlpatterns as system_routes

websocket_urlpatterns = [*system_routes, *chat_routes, *proctor_routes, *lesson_routes]
