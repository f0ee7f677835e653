from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

# The JavaScript translation catalogue (locale/*/LC_MESSAGES/djangojs.po) changes only with a deploy:
# cached per language for an hour, on the server and in browsers.
javascript_catalog = cache_page(3600)(JavaScriptCatalog.as_view())

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/", include("server.accounts.urls")),
    path("school/", include("server.school.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("chat/", include("chat.urls")),
    path("proctor/", include("proctor.urls")),
    path("lessons/", include("lessons.urls")),
    path("reports/", include("reports.urls")),
    path("lti/", include("lti.urls")),
]
