from django.urls import path

from . import views

app_name = "school"
urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("students/<int:pk>/", views.student_detail, name="student_detail"),
    path("parents/<int:pk>/", views.parent_detail, name="parent_detail"),
]
