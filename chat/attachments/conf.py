"""Attachment limits from environment variables (documented in docs/chat.md); a bad value stops the start."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

MB = 1024 * 1024


def _megabytes(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:  # 0 would refuse every upload (or, read as "no limit", leave the disk open): neither
        raise ImproperlyConfigured(f"{name} must be a number of megabytes above 0 (got {raw!r})")
    return int(value * MB)


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: dict[str, int]  # per kind: image, audio, video, file
    per_message: int
    thumbnail_px: int
    uploads_per_user: tuple[int, float]  # count per seconds
    quota_per_user: int  # bytes of attachments one person may hold, all rooms together
    quota_per_room: int  # bytes of attachments one room may hold, all uploaders together

    @property
    def largest(self) -> int:
        return max(self.max_bytes.values())


def load_limits() -> AttachmentLimits:
    return AttachmentLimits(
        max_bytes={
            "image": _megabytes("CHAT_MAX_IMAGE_MB", 10),
            "audio": _megabytes("CHAT_MAX_AUDIO_MB", 20),
            "video": _megabytes("CHAT_MAX_VIDEO_MB", 50),
            "file": _megabytes("CHAT_MAX_FILE_MB", 20),
        },
        per_message=int(os.environ.get("CHAT_ATTACHMENTS_PER_MESSAGE", "10")),
        thumbnail_px=320,
        uploads_per_user=(int(os.environ.get("CHAT_UPLOADS_PER_10_MIN", "30")), 600.0),
        quota_per_user=_megabytes("CHAT_UPLOAD_QUOTA_PER_USER_MB", 500),
        quota_per_room=_megabytes("CHAT_UPLOAD_QUOTA_PER_ROOM_MB", 2000),
    )


LIMITS = load_limits()
