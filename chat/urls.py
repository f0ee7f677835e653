from django.urls import include, path

from . import page, views

app_name = "chat"
urlpatterns = [
    path("rooms/", views.room_list, name="room_list"),
    path("rooms/<int:room_id>/messages", views.room_messages, name="room_messages"),
    path("", page.page, name="page"),
    path("", include("chat.attachments.urls")),
    path("", include("chat.sla.urls")),
]
