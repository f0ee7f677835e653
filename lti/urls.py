from django.urls import path

from . import views

app_name = "lti"
urlpatterns = [
    path("login/", views.login_initiation, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks.json", views.key_set, name="jwks"),
    path("deep-link/<str:launch_id>/", views.deep_link, name="deep_link"),
]
