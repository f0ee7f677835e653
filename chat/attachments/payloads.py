"""Attachments as clients see them inside a message (see docs/chat-protocol.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse

from .models import Attachment

if TYPE_CHECKING:
    from chat.models import Message


def payloads(message: Message) -> list[dict[str, Any]]:
    """The message's attachments as sent to clients (uses the prefetched relation when there is one)."""
    if message.pk is None or message.deleted_at is not None:
        return []
    return [payload(a) for a in message.attachments.all()]


def payload(attachment: Attachment) -> dict[str, Any]:
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
