"""VideoRoom rooms: a room's secret, creating it on demand (on whichever instance the caller placed it).

Which instance holds a room is the caller's record (a lesson run keeps it, ``lessons.janus_placement``);
:mod:`rtc.janus.health` says which instances are live and picks the least loaded one for a new room.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from .client import JanusError, JanusSession

ROOM_EXISTS = 427
PUBLISHERS_PER_ROOM = 100  # camera + screen of the teacher and a camera per student


def room_secret(room: int) -> str:
    """Derived from SECRET_KEY so every daphne process knows it without storing it."""
    return hmac.new(settings.SECRET_KEY.encode(), f"janus-room:{room}".encode(), hashlib.sha256).hexdigest()[:32]


async def ensure_room(session: JanusSession, handle: int, room: int, rec_dir: str | None = None) -> bool:
    """Create the room unless it exists (e.g. after a Janus restart); True if we created it.

    ``rec_dir``: the room records every publisher into this folder from the start (a room recreated while its
    owner was recording); None: it does not record until :func:`set_recording` says so.
    """
    if (await session.request(handle, {"request": "exists", "room": room})).get("exists"):
        return False
    body = {
        "request": "create",
        "room": room,
        "secret": room_secret(room),
        "admin_key": settings.JANUS_ADMIN_KEY,
        "is_private": True,
        "permanent": False,
        "publishers": PUBLISHERS_PER_ROOM,
        "bitrate": 1_200_000,
        "fir_freq": 10,
        "audiocodec": "opus",
        "videocodec": "vp8",
        "audiolevel_event": True,
        "audio_active_packets": 50,
        "audio_level_average": 60,
        "notify_joining": False,
        "record": rec_dir is not None,
    }
    if rec_dir is not None:
        body["rec_dir"] = rec_dir
    try:
        await session.request(handle, body)
    except JanusError as error:
        if error.code != ROOM_EXISTS:  # another daphne process won the race: fine
            raise
        return False
    return True


async def moderated_request(session: JanusSession, handle: int, room: int, body: dict) -> dict:
    """kick / moderate / listparticipants / destroy: requests that need the room secret."""
    return await session.request(handle, {**body, "room": room, "secret": room_secret(room)})


async def set_recording(session: JanusSession, handle: int, room: int, rec_dir: str | None) -> None:
    """Start recording every publisher of the room into ``rec_dir`` (publishers joining later too), or stop (None).

    Janus's own recorder: one ``.mjr`` file per stream (rtc.janus.recordings). The folder is changed first
    (``edit`` with ``new_rec_dir``: Janus creates it), so each start can write into a folder of its own; stopping
    closes every file before Janus answers, so they are complete when this returns.
    """
    if rec_dir is not None:
        await moderated_request(session, handle, room, {"request": "edit", "new_rec_dir": rec_dir})
    await moderated_request(session, handle, room, {"request": "enable_recording", "record": rec_dir is not None})
