"""Chat over HTTP answers a room the user may not read exactly like a room that does not exist (404).

In-process (Django test client): the rule is the views', not the server's.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments.models import Attachment
from chat.models import Room
from chat.rooms import ensure_room

NOT_READABLE = 10**6  # no such room


@pytest.fixture
def room(school) -> Room:
    """A group chat of student and teacher; student3 and parent2 are outsiders."""
    return ensure_room(Room.Kind.GROUP, "http-test", "9А", [school["student"]], moderators=[school["teacher"]])


def hidden(room_id: int) -> dict:
    return {"error": "not_found", "detail": f"room {room_id} does not exist or you may not read it"}


@pytest.mark.parametrize("outsider", ["student3", "parent2"])
def test_messages_of_a_room_one_may_not_read_answer_404_like_an_unknown_room(school, room, outsider, client_for):
    client = client_for(school[outsider])
    refused = client.get(f"/chat/rooms/{room.pk}/messages")
    unknown = client.get(f"/chat/rooms/{NOT_READABLE}/messages")
    assert (refused.status_code, refused.json()) == (404, hidden(room.pk))
    assert (unknown.status_code, unknown.json()) == (404, hidden(NOT_READABLE))
    member = client_for(school["student"]).get(f"/chat/rooms/{room.pk}/messages")
    assert (member.status_code, member.json()) == (200, {"room": room.pk, "messages": [], "more": False})


def test_upload_to_a_room_one_may_not_read_answers_404_like_an_unknown_room(school, room, client_for):
    client = client_for(school["student3"])
    for room_id in (room.pk, NOT_READABLE):
        reply = client.post(f"/chat/rooms/{room_id}/attachments/", {"file": SimpleUploadedFile("a.txt", b"hello")})
        assert (reply.status_code, reply.json()) == (404, hidden(room_id))
    assert not Attachment.objects.exists()
    reader_only = client_for(school["director"]).post(
        f"/chat/rooms/{room.pk}/attachments/", {"file": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert (reader_only.status_code, reader_only.json()["error"]) == (403, "read_only")


def test_attachment_of_a_room_one_may_not_read_answers_404(school, room, client_for):
    reply = client_for(school["student"]).post(
        f"/chat/rooms/{room.pk}/attachments/", {"file": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert reply.status_code == 201, reply.json()
    url = reply.json()["url"]
    assert client_for(school["student"]).get(url).status_code == 200
    assert client_for(school["student3"]).get(url).status_code == 404
    assert client_for(school["student3"]).get("/chat/attachments/999999").status_code == 404
