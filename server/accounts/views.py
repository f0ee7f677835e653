from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from server.school.access import visible_groups

from . import audit, first_login
from .http import AuthenticatedHttpRequest
from .importing import MAX_FILE_BYTES, ImportRejected, import_users, sheet_csv
from .login_forms import LoginForm
from .models import Role, User
from .slips import qr_svg, site_address

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LoginView(auth_views.LoginView):
    """The login form; a login with the school's one-time password lets the next form skip it."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        first_login.remember(self.request, form.get_user())
        return response


class FirstLoginPasswordForm(PasswordChangeForm):
    """The change form without the current password, which was typed a moment ago at login."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["old_password"]


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password also clears the school-issued one-time flag.

    Right after logging in with the one-time password the form does not ask for it again
    (server/accounts/first_login.py says when).
    """

    def get_form_class(self) -> type[PasswordChangeForm]:
        user = self.request.user
        if isinstance(user, User) and first_login.may_skip_old_password(self.request, user):
            return FirstLoginPasswordForm
        return PasswordChangeForm

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        without_old = isinstance(form, FirstLoginPasswordForm)
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        first_login.forget(self.request)
        audit.record(
            "auth.password_changed", actor=user, subject=user, request=self.request, without_old_password=without_old
        )
        return response


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV-файл"), help_text=_("UTF-8 или Windows-1251, до 1 МБ"))


class ImportUsersView(LoginRequiredMixin, View):
    """Administrators and curators issue logins from a CSV list (all-or-nothing)."""

    template_name = "accounts/import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not request.user.has_role(Role.ADMIN, Role.CURATOR):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self.render(request, ImportForm())

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(request, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            return self.render(request, form, errors=[(0, _("Файл больше 1 МБ."))], status=400)
        try:
            issued = import_users(upload.read(), actor=request.user)
        except ImportRejected as rejected:
            audit.record("accounts.import_rejected", actor=request.user, request=request, errors=len(rejected.errors))
            return self.render(request, form, errors=rejected.errors, status=400)
        csv_b64 = base64.b64encode(sheet_csv(issued).encode()).decode()
        address = site_address(request)
        context = {"issued": issued, "csv_b64": csv_b64, "address": address, "qr": qr_svg(address)}
        return render(request, "accounts/login_sheet.html", context)

    def render(
        self,
        request: AuthenticatedHttpRequest,
        form: forms.Form,
        errors: Sequence[tuple[int, StrOrPromise]] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {"form": form, "errors": errors or [], "groups": visible_groups(request.user)}
        return render(request, self.template_name, context, status=status)
