from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/", include("server.accounts.urls")),
    path("school/", include("server.school.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("chat/", include("chat.urls")),
    path("proctor/", include("proctor.urls")),
    path("rtc/", include("rtc.urls")),
    path("lessons/", include("lessons.urls")),
]
