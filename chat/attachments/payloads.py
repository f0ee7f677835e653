"""Attachments as clients see them inside a message (see docs/chat-protocol.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.urls import reverse

from .models import Attachment

if TYPE_CHECKING:
    from chat.models import Message


class AttachmentPayload(TypedDict):
    id: int
    kind: str  # image, audio, video or file
    mime: str
    name: str
    size: int  # bytes
    url: str
    thumbnail_url: str | None  # images only
    width: int | None  # images, EXIF-upright
    height: int | None


def payloads(message: Message) -> list[AttachmentPayload]:
    """The message's attachments as sent to clients (uses the prefetched relation when there is one)."""
    if message.pk is None or message.deleted_at is not None:
        return []
    return [payload(a) for a in message.attachments.all()]


def payload(attachment: Attachment) -> AttachmentPayload:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "mime": attachment.mime.split(";")[0],
        "name": attachment.name,
        "size": attachment.size,
        "url": reverse("chat:attachment", args=[attachment.pk]),
        "thumbnail_url": reverse("chat:attachment_thumbnail", args=[attachment.pk]) if attachment.thumbnail else None,
        "width": attachment.width,
        "height": attachment.height,
    }
