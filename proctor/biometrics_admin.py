"""Admin pages for biometric consent and reference photos (imported by proctor/admin.py).

A reference photo uploaded here goes through the same consent check and quality gate as
enrollment by the student; the embedding is never shown, the photo only as its metrics.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from server.accounts.models import User

from .enrollment import enroll, has_consent
from .models import BiometricConsent, ReferencePhoto
from .quality import assess_file
from .vision.frames import MAX_IMAGE_BYTES, InputError


@admin.register(BiometricConsent)
class BiometricConsentAdmin(admin.ModelAdmin):
    list_display = ("student", "given_at", "text_version", "withdrawn_at")
    list_filter = ("text_version", ("withdrawn_at", admin.EmptyFieldListFilter))
    search_fields = ("student__username", "student__last_name", "student__first_name")
    readonly_fields = ("given_at", "ip")
    autocomplete_fields = ("student",)


class ReferencePhotoForm(forms.ModelForm):
    photo = forms.FileField(
        label=_("фото"),
        help_text=_("Лицо анфас, без других людей в кадре, резкое и хорошо освещённое."),
    )

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
