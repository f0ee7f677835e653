from django.urls import path

from . import biometrics_views, exam_views, recording_views

app_name = "proctor"
urlpatterns: list = [
    path("", exam_views.exam_list, name="exam_list"),
    path("exams/new/", exam_views.create_exam, name="create_exam"),
    path("exams/<int:exam_id>/take/", exam_views.take_exam, name="take_exam"),
    path("exams/<int:exam_id>/dashboard/", exam_views.dashboard, name="dashboard"),
    path("exams/<int:exam_id>/report/", exam_views.report, name="report"),
    path("exams/<int:exam_id>/report.csv", exam_views.report_csv, name="report_csv"),
    path("exams/<int:exam_id>/report.pdf", exam_views.report_pdf, name="report_pdf"),
    path("consent/", biometrics_views.consent, name="consent"),
    path("consent/withdraw/", biometrics_views.withdraw_consent, name="consent_withdraw"),
    path("reference/", biometrics_views.reference, name="reference"),
    path("sessions/<int:session_id>/reference.jpg", biometrics_views.session_reference, name="session_reference"),
    path(
        "sessions/<int:session_id>/reference/confirm/",
        biometrics_views.confirm_reference,
        name="confirm_reference",
    ),
    path("sessions/<int:session_id>/", exam_views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/verdict/", exam_views.set_verdict, name="verdict"),
    path("sessions/<int:session_id>/recording.json", recording_views.recording_manifest, name="recording_manifest"),
    path("sessions/<int:session_id>/recording.webm", recording_views.recording_file, name="recording_file"),
    path("sessions/<int:session_id>/screen.webm", recording_views.recording_screen, name="recording_screen"),
    path("episodes/<int:episode_id>/review/", exam_views.review_episode, name="review_episode"),
    path("episodes/<int:episode_id>/comment/", exam_views.student_comment, name="student_comment"),
    path("evidence/<str:token>/", exam_views.evidence, name="evidence"),
    path("my-data.json", exam_views.my_data, name="my_data"),
]
