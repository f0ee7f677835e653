"""Upload and authorise attachments (no HTTP here: see views.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum

from chat.access import room_access
from chat.store import writable_room
from server.accounts.models import User
from server.ws import ProtocolError, RateLimit

from . import storage
from .conf import LIMITS, MB
from .models import Attachment
from .sniffing import HEAD_BYTES, JPEG, TEXT, Refused, check_text_body, download_name, sniff

UPLOADS = RateLimit("uploads", *LIMITS.uploads_per_user)
CHUNK = 256 * 1024


class UploadRefused(ProtocolError):
    """The file is refused for its content or size (HTTP 413/415, not a permission problem)."""


class QuotaExceeded(UploadRefused):
    """Storing the file would take the uploader's or the room's attachments over their quota (HTTP 413)."""

    def __init__(self, scope: str, limit: int, used: int) -> None:
        whose = "per person" if scope == "person" else "per chat"
        super().__init__(
            "quota_exceeded",
            f"attachments are limited to {limit / MB:g} MB {whose}; {used / MB:.1f} MB are used, "
            "so this file does not fit",
        )
        self.scope, self.limit, self.used = scope, limit, used


def check_quota(user: User, room_id: int, size: int) -> None:
    """Refuse a file that would take the user's or the room's stored attachments over the quota.

    Every stored attachment counts (sent, unsent, on deleted messages) until it is deleted: that is
    what the disk holds. Two uploads racing may each pass and go over by at most one file.
    """
    for scope, holder, limit in (
        ("person", {"uploader": user}, LIMITS.quota_per_user),
        ("room", {"room_id": room_id}, LIMITS.quota_per_room),
    ):
        used = Attachment.objects.filter(**holder).aggregate(total=Sum("size"))["total"] or 0
        if used + size > limit:
            raise QuotaExceeded(scope, limit, used)


def clean_name(name: str) -> str:
    """The original name without any directory part or control characters, at most 200 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return (base or "file")[-200:]


def upload(user: User, room_id: int, file: UploadedFile) -> Attachment:
    """Store one uploaded file for ``room_id``; raises ProtocolError (permissions) or UploadRefused."""
    room, _ = writable_room(user, room_id)
    UPLOADS.take(user.pk)
    if file.size is None or file.size == 0:
        raise UploadRefused("empty", "the file is empty")
    if file.size > LIMITS.largest:
        raise UploadRefused("too_large", f"files are limited to {LIMITS.largest // MB} MB")
    check_quota(user, room.pk, file.size)
    name = clean_name(file.name or "file")
    file.seek(0)
    head = file.read(HEAD_BYTES)
    try:
        file_type = sniff(head, name)
    except Refused as refused:
        raise UploadRefused("unsupported_type", str(refused)) from refused
    name = download_name(name, file_type)
    limit = LIMITS.max_bytes[file_type.kind]
    if file.size > limit:
        raise UploadRefused("too_large", f"{file_type.kind} files are limited to {limit // MB} MB")
    if file_type is TEXT:
        try:
            check_text_body(file.chunks(CHUNK))
        except Refused as refused:
            raise UploadRefused("unsupported_type", str(refused)) from refused
    stored_as = storage.write(file.chunks(CHUNK), file_type.extension)  # chunks() starts from the beginning
    width = height = None
    thumbnail = ""
    if file_type.kind == Attachment.Kind.IMAGE:
        try:
            info = storage.check_image(stored_as, file_type, LIMITS.thumbnail_px)
        except Refused as refused:
            storage.remove(stored_as)
            raise UploadRefused("unsupported_type", str(refused)) from refused
        width, height, thumbnail = info.width, info.height, info.thumbnail
    size = storage.scrub_jpeg(stored_as) if file_type is JPEG else file.size
    return Attachment.objects.create(
        room=room,
        uploader=user,
        kind=file_type.kind,
        mime=file_type.mime,
        name=name,
        size=size,
        stored_as=stored_as,
        thumbnail=thumbnail,
        width=width,
        height=height,
    )


def readable(user: User, attachment_id: int) -> Attachment | None:
    """The attachment if ``user`` may download it, else None (callers answer 404 either way).

    Sent attachments are readable by everyone who reads the room (the director included); an
    unsent upload only by its uploader; a deleted message's attachments only by moderators.
    """
    attachment = Attachment.objects.select_related("room", "message").filter(pk=attachment_id).first()
    if attachment is None:
        return None
    access = room_access(user, attachment.room)
    if not access.read:
        return None
    if attachment.message is None:
        return attachment if attachment.uploader_id == user.pk else None
    if attachment.message.deleted_at is not None and not access.moderate:
        return None
    return attachment


@transaction.atomic
def discard_unsent(older_than: datetime) -> int:
    """Delete uploads never sent with a message (``manage.py chat_purge_uploads``, daily cron); returns the count.

    The files go with the rows (the ``post_delete`` handler in :mod:`chat.attachments.models`).
    """
    _, deleted = Attachment.objects.filter(message__isnull=True, created_at__lt=older_than).delete()
    return deleted.get(Attachment._meta.label, 0)
