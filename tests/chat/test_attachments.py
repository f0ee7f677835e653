"""Attachments: upload over HTTP, content sniffing, size limits, thumbnails, who may download — on a real daphne."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from chat.attachments import storage
from chat.attachments.models import Attachment
from chat.attachments.sniffing import Refused, download_name, sniff
from chat.models import Message, Room
from tests.chat.helpers import ChatSocket, room_ids
from tests.support.client import Session, logged_in


@pytest.fixture(scope="module")
def rooms(live_env) -> dict[str, int]:
    return room_ids(live_env)


@pytest.fixture(scope="module")
def sessions(daphne_server) -> dict[str, Session]:
    names = ("parent", "parent2", "teacher", "curator", "student3", "director")
    return {name: logged_in(daphne_server.url, name) for name in names}


def multipart(fields: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, data) in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(session: Session, room: int, filename: str, data: bytes, csrf: bool = True) -> tuple[int, dict]:
    if "csrftoken" not in session.cookies:
        session.get("/chat/")
    body, content_type = multipart({"file": (filename, data)})
    headers = {"Content-Type": content_type}
    if csrf:
        headers["X-CSRFToken"] = session.cookies["csrftoken"]
    status, _, reply = session.request("POST", f"/chat/rooms/{room}/attachments/", body, headers)
    try:
        return status, json.loads(reply)
    except ValueError:
        return status, {"raw": reply[:200]}


GPS_IFD = 0x8825


def rotated_jpeg(width: int = 64, height: int = 32) -> bytes:
    """A phone photo: stored sideways, EXIF orientation 6 (rotate 90° clockwise), GPS position and a comment."""
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 4.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home address")
    return out.getvalue()


def test_member_uploads_photo_gets_upright_thumbnail_and_members_download_it(sessions, rooms):
    room = rooms["parents:9А"]
    data = rotated_jpeg()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    assert b"home address" in data
    status, photo = upload(sessions["parent"], room, "../../etc/фото.JPG", data)
    assert status == 201, photo
    assert (photo["kind"], photo["mime"], photo["name"]) == ("image", "image/jpeg", "фото.JPG")
    assert (photo["width"], photo["height"]) == (32, 64)  # EXIF-transposed

    status, headers, body = sessions["parent"].request("GET", photo["url"])
    assert status == 200
    assert len(body) == photo["size"] < len(data)
    served = Image.open(io.BytesIO(body))
    exif = served.getexif()
    assert (served.size, exif.get(0x0112)) == ((64, 32), 6)  # same pixels, orientation kept
    assert not exif.get_ifd(GPS_IFD)  # no location
    assert 0x010F not in exif
    assert b"home address" not in body
    served.load()
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"].startswith("inline")
    status, headers, thumb = sessions["parent"].request("GET", photo["thumbnail_url"])
    assert status == 200
    assert Image.open(io.BytesIO(thumb)).size == (32, 64)

    # Not sent with a message yet: only the uploader sees it.
    assert sessions["teacher"].get(photo["url"])[0] == 404


def test_upload_needs_csrf_token(sessions, rooms):
    status, _ = upload(sessions["parent"], rooms["parents:9А"], "a.jpg", rotated_jpeg(), csrf=False)
    assert status == 403


@pytest.mark.parametrize(
    ("username", "room", "status"),
    [
        ("parent2", "parents:9А", 404),  # another child's parent: not a member
        ("student3", "group:9А", 404),  # not a member
        ("director", "group:9А", 403),  # reads everything, writes nothing
    ],
)
def test_who_may_not_upload(sessions, rooms, username, room, status):
    got, reply = upload(sessions[username], rooms[room], "a.jpg", rotated_jpeg())
    assert got == status, reply


def test_renamed_executable_and_broken_image_are_refused(sessions, rooms):
    room = rooms["parents:9А"]
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    status, reply = upload(sessions["parent"], room, "homework.jpg", exe)
    assert (status, reply["error"]) == (415, "unsupported_type")
    html = b"<html><script>alert(1)</script></html>"
    assert upload(sessions["parent"], room, "notes.txt", html)[0] == 415
    bomb = io.BytesIO()
    Image.new("1", (8000, 6000)).save(bomb, "PNG")  # 48 megapixels in a few kilobytes
    status, reply = upload(sessions["parent"], room, "bomb.png", bomb.getvalue())
    assert (status, reply["error"]) == (415, "unsupported_type")
    assert "megapixels" in reply["detail"]
    truncated = rotated_jpeg()[:100]  # JPEG magic bytes, but Pillow cannot read it
    status, reply = upload(sessions["parent"], room, "photo.jpg", truncated)
    assert (status, reply["error"]) == (415, "unsupported_type")
    status, text = upload(sessions["parent"], room, "список.txt", "Домашнее задание: §12".encode())
    assert (status, text["mime"], text["kind"]) == (201, "text/plain", "file")


def test_oversize_photo_is_refused(sessions, rooms):
    too_big = b"\xff\xd8\xff\xe0" + b"\x00" * (10 * 1024 * 1024)  # 10 MB limit for photos
    status, reply = upload(sessions["parent"], rooms["parents:9А"], "big.jpg", too_big)
    assert (status, reply["error"]) == (413, "too_large")


async def test_sent_attachment_reaches_members_only(sessions, rooms):
    room = rooms["parents:9А"]
    status, photo = upload(sessions["parent"], room, "doska.jpg", rotated_jpeg())
    assert status == 201
    parent = await ChatSocket.open("", "parent", sessions["parent"])
    teacher = await ChatSocket.open("", "teacher", sessions["teacher"])
    try:
        await parent.subscribe(room)
        await teacher.subscribe(room)
        stolen = await teacher.say(room, "чужое вложение", attachments=[photo["id"]])
        assert (stolen["type"], stolen["error"]) == ("error", "bad_attachment")
        ack = await parent.say(room, "Фото доски", attachments=[photo["id"]])
        assert ack["type"] == "ack", ack
        message = (await teacher.expect("message"))["message"]
        while message["seq"] != ack["seq"]:
            message = (await teacher.expect("message"))["message"]
        assert [a["id"] for a in message["attachments"]] == [photo["id"]]
        again = await parent.say(room, "ещё раз", attachments=[photo["id"]])
        assert again["error"] == "bad_attachment"  # already sent
    finally:
        await parent.close()
        await teacher.close()

    assert sessions["teacher"].get(photo["url"])[0] == 200
    assert sessions["curator"].get(photo["thumbnail_url"])[0] == 200
    assert sessions["director"].get(photo["url"])[0] == 200  # reads everything
    assert sessions["parent2"].get(photo["url"])[0] == 404  # another child's parent
    assert sessions["student3"].get(photo["url"])[0] == 404
    assert sessions["parent2"].get("/chat/attachments/999999999")[0] == 404


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n", "x.png", "image/png"),
        (b"ID3\x04\x00", "voice.mp3", "audio/mpeg"),
        (b"OggS\x00\x02", "voice.ogg", "audio/ogg"),
        (b"\x1aE\xdf\xa3\x01", "voice.webm", "video/webm"),
        (b"\x00\x00\x00\x18ftypmp42", "clip.mp4", "video/mp4"),
        (b"\x00\x00\x00\x18ftypM4A ", "song.m4a", "audio/mp4"),
        (b"%PDF-1.7\n", "work.pdf", "application/pdf"),
        (b"PK\x03\x04\x14\x00", "essay.docx", "wordprocessingml"),
    ],
)
def test_sniffing_accepts_known_formats_whatever_the_name(head, name, kind):
    assert kind in sniff(head, name).mime
    if not head.startswith(b"PK"):  # ZIP containers are told apart by extension only
        assert kind in sniff(head, "renamed.txt").mime


@pytest.mark.parametrize(
    ("name", "head", "served_as"),
    [
        ("scan.pdf", b"%PDF-1.4", "scan.pdf"),
        ("invoice.html", b"%PDF-1.4", "invoice.html.pdf"),  # never opened as a web page after download
        ("photo.JPEG", b"\xff\xd8\xff\xe0", "photo.JPEG"),
        ("photo.png", b"\xff\xd8\xff\xe0", "photo.png.jpg"),
        ("marks.csv", b"name;mark\n", "marks.csv"),
    ],
)
def test_download_name_always_ends_with_the_real_type(name, head, served_as):
    assert download_name(name, sniff(head, name)) == served_as


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"MZ\x90\x00", "photo.jpg"),
        (b"\x7fELF\x02\x01", "song.mp3"),
        (b"PK\x03\x04\x14\x00", "app.apk"),  # a ZIP is accepted only as a document or .zip
        (b"#!/bin/sh\nrm -rf /", "notes.txt"),
        (b"<svg onload=alert(1)>", "pic.txt"),
    ],
)
def test_sniffing_refuses_everything_else(head, name):
    with pytest.raises(Refused):
        sniff(head, name)


@pytest.mark.django_db
def test_purge_removes_only_old_unsent_uploads(django_capture_on_commit_callbacks):
    room = Room.objects.create(kind=Room.Kind.LESSON, key=uuid.uuid4().hex, title="t")
    message = Message.objects.create(room=room, seq=1, client_id="c", text="файл")

    def stored(sent: bool, hours_ago: int) -> Attachment:
        name = storage.write([b"%PDF-1.7 test"], "pdf")
        attachment = Attachment.objects.create(
            room=room, kind="file", mime="application/pdf", name="a.pdf", size=13, stored_as=name,
            message=message if sent else None,
        )  # fmt: skip
        Attachment.objects.filter(pk=attachment.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
        return attachment

    stale, fresh, sent = stored(False, 30), stored(False, 2), stored(True, 30)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletion is committed
        call_command("chat_purge_uploads", stdout=out)
    assert "removed 1" in out.getvalue()
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent.pk}
    assert not storage.media_path(stale.stored_as).exists()
    assert storage.media_path(fresh.stored_as).exists()


@pytest.mark.django_db
def test_oversize_body_is_refused_before_it_is_parsed(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("uploader", password="x"))
    declared = str(60 * 1024 * 1024 + 1)  # more than the largest limit (video, 50 MB) plus form overhead
    response = client.post("/chat/rooms/1/attachments/", data=b"--x--", content_type="multipart/form-data; boundary=x",
                           CONTENT_LENGTH=declared)  # fmt: skip
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
