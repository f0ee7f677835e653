"""Mounted under /chat/ by chat/urls.py (names in the ``chat`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("rooms/<int:room_id>/attachments/", views.upload, name="attachment_upload"),
    path("attachments/<int:attachment_id>", views.download, name="attachment"),
    path("attachments/<int:attachment_id>/thumbnail", views.thumbnail, name="attachment_thumbnail"),
]
