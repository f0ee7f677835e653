from django.urls import path

from . import janus_events, recording_views, views

app_name = "lessons"
urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("new/", views.plan, name="plan"),
    path("<int:lesson_id>/", views.room, name="room"),
    path("runs/<int:run_id>/attendance/", views.attendance, name="attendance"),
    path("runs/<int:run_id>/attendance.csv", views.attendance_csv, name="attendance_csv"),
    path("janus/events/", janus_events.receive, name="janus_events"),
    path("recordings/<str:folder>/<str:name>", recording_views.recording_file, name="recording_file"),
]
