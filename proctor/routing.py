from django.urls import path

from .dashboard_socket import DashboardConsumer

websocket_urlpatterns: list = [
    path("ws/proctor/exams/<int:exam_id>/", DashboardConsumer.as_asgi()),
]
