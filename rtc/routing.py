from django.urls import path

from .exam_socket import ExamSessionConsumer

websocket_urlpatterns: list = [
    path("ws/rtc/sessions/<int:session_id>/", ExamSessionConsumer.as_asgi()),
]
