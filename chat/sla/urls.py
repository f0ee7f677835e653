"""Mounted under /chat/ by chat/urls.py (names in the ``chat`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("answers/", views.due, name="answers"),
    path("answers/report/", views.report, name="answers_report"),
    path("answers/report.csv", views.report_csv, name="answers_report_csv"),
]
