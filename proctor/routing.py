from django.urls import path

from .dashboard_socket import DashboardConsumer
from .media.exam_socket import ExamSessionConsumer

websocket_urlpatterns: list = [
    path("ws/proctor/exams/<int:exam_id>/", DashboardConsumer.as_asgi()),
    # The student's exam socket keeps its original address (documented in docs/proctoring.md).
    path("ws/rtc/sessions/<int:session_id>/", ExamSessionConsumer.as_asgi()),
]
