"""The login forms (the site's and the admin's): a login longer than any account's is refused as a wrong login.

Django's AuthenticationForm does not check the username's length, so a 5,000-character login reached
``authenticate()``; its failure signal made django-axes store the attempt in a 255-character column, which
PostgreSQL refused: an HTTP 500 on the login page (found by tests/fuzz on PostgreSQL). Refusing it before
``authenticate()`` also keeps such a login out of the lockout table.
"""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from .models import User


class BoundedLoginMixin:
    cleaned_data: dict

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        longest = User._meta.get_field("username").max_length or 150
        if len(username) > longest:
            raise AuthenticationForm.get_invalid_login_error(self)  # type: ignore[arg-type]
        return username


class LoginForm(BoundedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(BoundedLoginMixin, AdminAuthenticationForm):
    pass
