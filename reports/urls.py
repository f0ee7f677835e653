from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("activity/", views.school_activity, name="school_activity"),
    path("activity/group/<int:group_id>/", views.group_activity, name="group_activity"),
    path("attendance/group/<int:group_id>/", views.group_attendance, name="group_attendance"),
    path("attendance/group/<int:group_id>/close/", views.close_period, name="close_period"),
    path("attendance/student/<int:student_id>/", views.student_attendance, name="student_attendance"),
    path("attendance/reason/", views.set_absence_reason, name="set_absence_reason"),
    path("teachers/", views.teachers, name="teachers"),
]
