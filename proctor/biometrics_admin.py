"""Admin pages for biometric consent and reference photos (imported by proctor/admin.py).

A reference photo uploaded here is the school's: it goes through the consent check and quality gate
and replaces any earlier reference (only staff may); the embedding is never shown, the photo only
as its metrics. The gate runs here on the request thread: at most REFERENCE_CHECKS_PER_MINUTE per
staff member (proctor.reference_gate), and ``POST /proctor/reference/`` runs it off that thread.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from server.accounts import audit
from server.accounts.models import User
from server.ws import ProtocolError

from . import enrollment, reference_gate
from .enrollment import enroll, has_consent
from .models import BiometricConsent, ReferencePhoto
from .quality import assess_file
from .vision.frames import MAX_IMAGE_BYTES, InputError


@admin.register(BiometricConsent)
class BiometricConsentAdmin(admin.ModelAdmin):
    """Staff enter a signed paper consent (the giver: the student or a parent, else the staff member) or
    withdraw one; both are audited, and a withdrawal deletes the reference photo and embedding at once."""

    list_display = ("student", "given_by", "given_at", "text_version", "withdrawn_at")
    list_filter = ("text_version", ("withdrawn_at", admin.EmptyFieldListFilter))
    search_fields = ("student__username", "student__last_name", "student__first_name")
    readonly_fields = ("given_at", "ip")
    autocomplete_fields = ("student", "given_by")

    def save_model(self, request: HttpRequest, obj: BiometricConsent, form: forms.ModelForm, change: bool) -> None:
        assert isinstance(request.user, User)  # the admin site admits signed-in staff only
        withdrawn_now = change and obj.withdrawn_at is not None and "withdrawn_at" in form.changed_data
        if not change:
            obj.given_by = obj.given_by or request.user
            obj.ip = audit.client_ip(request)
        super().save_model(request, obj, form, change)
        if withdrawn_now:
            enrollment.withdraw_consent(obj.student, actor=request.user, request=request)
        elif not change:
            audit.record(
                "proctor.biometric_consent",
                actor=request.user,
                subject=obj.student,
                request=request,
                version=obj.text_version,
                given_by=obj.given_by_id,
                source="admin",
            )


class ReferencePhotoForm(forms.ModelForm):
    photo = forms.FileField(
        label=_("фото"),
        help_text=_("Лицо анфас, без других людей в кадре, резкое и хорошо освещённое."),
    )

    uploader: int | None = None  # the staff member's id (set by the admin): their gate rate limit

    class Meta:
        model = ReferencePhoto
        fields = ("student",)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        student, upload = cleaned.get("student"), cleaned.get("photo")
        if student is None or upload is None:
            return cleaned
        if not has_consent(student):
            raise ValidationError(_("У ученика нет действующего согласия на обработку биометрии."))
        if upload.size > MAX_IMAGE_BYTES:
            raise ValidationError(_("Файл слишком большой."))
        try:
            reference_gate.CHECKS.take(self.uploader)
        except ProtocolError as error:
            raise ValidationError(error.detail) from None
        data = upload.read()
        try:
            verdict = assess_file(data)
        except InputError:
            raise ValidationError(_("Файл не является изображением (JPEG, PNG, WebP).")) from None
        if not verdict.ok:
            raise ValidationError([issue.message() for issue in verdict.issues])
        cleaned["photo_bytes"] = data
        return cleaned


@admin.register(ReferencePhoto)
class ReferencePhotoAdmin(admin.ModelAdmin):
    form = ReferencePhotoForm
    list_display = ("student", "created_at", "uploaded_by", "face_size")
    search_fields = ("student__username", "student__last_name", "student__first_name")
    readonly_fields = ("student", "created_at", "uploaded_by", "quality")
    autocomplete_fields = ("student",)

    def get_form(
        self, request: HttpRequest, obj: ReferencePhoto | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        form.uploader = request.user.pk  # type: ignore[attr-defined]
        return form

    def get_fields(self, request: HttpRequest, obj: ReferencePhoto | None = None) -> tuple[str, ...]:
        return ("student", "photo") if obj is None else ("student", "created_at", "uploaded_by", "quality")

    def get_readonly_fields(self, request: HttpRequest, obj: ReferencePhoto | None = None) -> tuple[str, ...]:
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: ReferencePhoto | None = None) -> bool:
        return False  # a reference is replaced by uploading a new one, never edited

    @admin.display(description=_("лицо, px"))
    def face_size(self, obj: ReferencePhoto) -> object:
        return obj.quality.get("face_px", "—")

    def save_model(self, request: HttpRequest, obj: ReferencePhoto, form: ReferencePhotoForm, change: bool) -> None:
        assert isinstance(request.user, User)  # the admin site admits signed-in staff only
        result = enroll(obj.student, form.cleaned_data["photo_bytes"], uploaded_by=request.user, request=request)
        assert result.photo is not None  # clean() ran the same quality gate on the same bytes
        form.instance = result.photo
        obj.pk = result.photo.pk
