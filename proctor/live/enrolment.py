"""What the live pipeline needs from biometric enrolment: consent and the reference photo.

Consent is an audited record (``proctor.biometric_consent``); the reference photo is a
JPEG under MEDIA_ROOT/references/ with a non-guessable name, accepted only through
the quality gate (exactly one large enough face).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.http import HttpRequest

from server.accounts import audit
from server.accounts.models import AuditEvent, User

from .analysis import thread_analyser

CONSENT_KIND = "proctor.biometric_consent"
MAX_PHOTO_BYTES = 2 * 1024 * 1024


def has_consent(user: User) -> bool:
    return AuditEvent.objects.filter(kind=CONSENT_KIND, actor=user).exists()


def record_consent(user: User, request: HttpRequest | None = None) -> None:
    if not has_consent(user):
        audit.record(CONSENT_KIND, actor=user, request=request, purpose="exam identity check and proctoring")


def _reference_dir(user: User) -> Path:
    return Path(settings.MEDIA_ROOT) / "references" / str(user.pk)


def reference_path(user: User) -> Path | None:
    found = sorted(_reference_dir(user).glob("*.jpg"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def decode(jpeg: bytes) -> np.ndarray:
    if not jpeg or len(jpeg) > MAX_PHOTO_BYTES:
        raise ValueError("фото пустое или больше 2 МБ")
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("файл не является изображением JPEG/PNG")
    return image


def store_reference(user: User, jpeg: bytes, source: str, request: HttpRequest | None = None) -> Path:
    """Check the photo through the quality gate and keep it as the user's reference (replacing older ones)."""
    image = decode(jpeg)
    thread_analyser().reference_embedding(image)  # raises ValueError with the reason
    directory = _reference_dir(user)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.jpg"):
        old.unlink()
    path = directory / f"{secrets.token_urlsafe(16)}.jpg"
    path.write_bytes(jpeg)
    audit.record("proctor.reference_photo", actor=request.user if request else None, subject=user, source=source)
    return path


def reference_embedding(user: User) -> np.ndarray | None:
    path = reference_path(user)
    if path is None:
        return None
    return thread_analyser().reference_embedding(cv2.imread(str(path)))
