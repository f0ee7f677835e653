"""Login throttling, the security audit log, logout and password reset."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from server.accounts.models import AuditEvent, UserRole


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_repeated_failures_lock_the_login_and_are_audited(school, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "student", "wrong-password")
        assert response.status_code == 200
        assert "Неверный логин или пароль" in response.content.decode()
    response = login(client, "student", "wrong-password")
    assert response.status_code == 429
    # now even the right password is refused until the cool-off passes
    response = login(client, "student", "student-demo")
    assert response.status_code == 429
    assert "заблокирован" in response.content.decode()
    assert client.get("/").status_code != 200
    failed = AuditEvent.objects.filter(kind="auth.login_failed", username="student")
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    assert failed.first().ip_address == "127.0.0.1"
    assert AuditEvent.objects.filter(kind="auth.locked_out", username="student").exists()
    # another account from the same address is not locked
    assert login(Client(), "student2", "student2-demo").status_code == 302


def test_login_logout_and_role_change_are_audited(school):
    client = Client()
    assert login(client, "teacher", "teacher-demo").status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    kinds = list(AuditEvent.objects.filter(username="teacher").values_list("kind", flat=True))
    assert "auth.login" in kinds
    assert "auth.logout" in kinds
    UserRole.objects.create(user=school["teacher"], role="curator")
    event = AuditEvent.objects.get(kind="accounts.role_added", subject=school["teacher"], details__role="curator")
    assert event.username == "teacher"


def test_password_reset_by_email(school):
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "parent@demo.classroom.local"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Novyi-Parol-2026", "new_password2": "Novyi-Parol-2026"})
    assert response.status_code == 302
    assert login(Client(), "parent", "Novyi-Parol-2026").status_code == 302


def test_session_and_csrf_cookies_are_hardened(school, settings):
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "student", "password": "student-demo"})
    assert response.status_code == 403  # no CSRF token
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/", {"username": "student", "password": "student-demo", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"]
    assert session_cookie["secure"]
    assert session_cookie["samesite"] == "Lax"
