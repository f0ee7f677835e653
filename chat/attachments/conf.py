"""Attachment limits from environment variables (documented in docs/chat.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MB = 1024 * 1024


def _megabytes(name: str, default: int) -> int:
    return int(float(os.environ.get(name, str(default))) * MB)


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: dict[str, int]  # per kind: image, audio, video, file
    per_message: int
    thumbnail_px: int
    uploads_per_user: tuple[int, float]  # count per seconds

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
    )


LIMITS = load_limits()
