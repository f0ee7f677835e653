"""Chat attachments have a storage quota per person and per room; the refusal states the limit."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.attachments import service
from chat.attachments.conf import MB
from chat.attachments.models import Attachment
from chat.models import Room
from chat.rooms import ensure_room


@pytest.fixture
def small_quota(monkeypatch):
    """1 MB per person, 1.5 MB per room."""
    limits = dataclasses.replace(service.LIMITS, quota_per_user=MB, quota_per_room=MB + MB // 2)
    monkeypatch.setattr(service, "LIMITS", limits)


def upload(user, room: Room, size: int):
    client = Client()
    client.force_login(user)
    return client.post(f"/chat/rooms/{room.pk}/attachments/", {"file": SimpleUploadedFile("a.txt", b"a" * size)})


def test_uploads_past_the_quota_are_refused_with_the_limit_stated(school, small_quota, media_root):
    room = ensure_room(Room.Kind.GROUP, "quota", "9А", [school["student"], school["student2"]])
    other = ensure_room(Room.Kind.GROUP, "quota2", "9А", [school["student"]])
    assert upload(school["student"], room, 600 * 1024).status_code == 201
    mine = upload(school["student"], other, 600 * 1024)  # another room: the person's quota still counts
    assert (mine.status_code, mine.json()) == (
        413,
        {
            "error": "quota_exceeded",
            "detail": "attachments are limited to 1 MB per person; 0.6 MB are used, so this file does not fit",
            "scope": "person",
            "limit_mb": 1.0,
            "used_bytes": 600 * 1024,
        },
    )
    assert upload(school["student2"], room, 600 * 1024).status_code == 201
    full = upload(school["student2"], room, 400 * 1024)  # within student2's own quota, over the room's
    assert (full.status_code, full.json()["scope"], full.json()["limit_mb"]) == (413, "room", 1.5)
    assert "limited to 1.5 MB per chat" in full.json()["detail"]
    assert Attachment.objects.count() == 2
    assert sum(1 for p in media_root.rglob("*") if p.is_file()) == 2  # the refused files were never written


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_quota_of_zero_or_nonsense_stops_the_start(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from chat.attachments.conf import load_limits

    monkeypatch.setenv("CHAT_UPLOAD_QUOTA_PER_ROOM_MB", value)
    with pytest.raises(ImproperlyConfigured, match="CHAT_UPLOAD_QUOTA_PER_ROOM_MB must be a number of megabytes"):
        load_limits()
