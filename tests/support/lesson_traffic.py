"""A participant of the traffic's lesson, signalling as the lesson page does (web/static/js/lesson.js): it joins
over the lesson socket; after ``media.lost`` it joins again in 1 s, after ``media_unavailable`` or a refused join
in 2 s; after a closed socket it reconnects and joins. :class:`LessonParticipant` is up once ``joined``; the media
participants (tests/support/lesson_media.py) extend it with real media and are up only while it flows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from .traffic_base import RETRY_PAUSE, Sink, open_socket

REJOIN_AFTER_MEDIA_LOST = 1.0  # seconds, as the page (REJOIN_AFTER_MEDIA_LOST_MS)
REJOIN_AFTER_REFUSAL = 2.0  # seconds after `media_unavailable` (REJOIN_AFTER_MEDIA_UNAVAILABLE_MS) or another refusal


class LessonParticipant:
    """Signalling only: the lesson's room in Janus is joined, nothing is sent or received there."""

    def __init__(self, url: str, lesson: int, cookie: str, state: Sink) -> None:
        self.url, self.lesson, self.cookie, self.state = url, lesson, cookie, state
        self.in_room = False  # joined, and no media.lost since

    async def run(self) -> None:
        """Connect, join and follow the lesson until cancelled."""
        while True:
            try:
                ws = await open_socket(self.url, f"/ws/lessons/{self.lesson}/", self.cookie)
            except (TimeoutError, OSError, websockets.WebSocketException):
                self.state.down()
                await asyncio.sleep(RETRY_PAUSE)
                continue
            try:
                await ws.send(json.dumps({"type": "join"}))
                async for raw in ws:
                    await self.handle(ws, json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            except Exception as error:  # a client's own trouble (aiortc's): counted, then as after a lost socket
                self.state.error(type(error).__name__)
            finally:
                self.in_room = False
                await self.drop_media()
                await ws.close()
            self.state.down()
            await asyncio.sleep(RETRY_PAUSE)

    async def handle(self, ws: websockets.ClientConnection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "joined":
            self.in_room = True
            await self.entered(ws, frame)
        elif kind == "media.lost":
            self.state.error(kind)
            await self.rejoin(ws, REJOIN_AFTER_MEDIA_LOST)
        elif kind == "error":
            self.state.error(frame["error"])
            if frame["error"] == "media_unavailable" or not self.in_room:
                await self.rejoin(ws, REJOIN_AFTER_REFUSAL)

    async def entered(self, ws: websockets.ClientConnection, joined: dict[str, Any]) -> None:
        """``joined`` came: in the room (with media, the page subscribes and publishes now)."""
        self.state.up()

    async def rejoin(self, ws: websockets.ClientConnection, after: float) -> None:
        """Every feed and subscription is gone (or the join was refused): drop ours, wait, join again."""
        self.in_room = False
        self.state.down()
        await self.drop_media()
        await asyncio.sleep(after)
        await ws.send(json.dumps({"type": "join"}))

    async def drop_media(self) -> None:
        """Close every peer connection (none without media)."""
