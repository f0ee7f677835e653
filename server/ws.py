"""The base every JSON WebSocket consumer builds on.

It enforces the rules all our sockets share: only authenticated users, text
frames of bounded size, JSON objects with a string ``type``; anything else is
answered with an ``error`` frame and the socket stays open. A connection speaks
the language of the page that opened it (the language selector's cookie).
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from server.language import chosen_language


class CloseCode(IntEnum):
    """WebSocket close codes our sockets use (the pages read them from the server, see web/)."""

    UNAUTHENTICATED = 4401  # no logged-in user: log in again
    FORBIDDEN = 4403  # not allowed to open this socket: do not reconnect
    REPLACED = 4409  # a newer tab took this exam session over
    SESSION_OVER = 4410  # the exam session has ended


class ProtocolError(Exception):
    """A client message that cannot be processed; reported in an error frame."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class JsonProtocolConsumer(AsyncJsonWebsocketConsumer):
    max_frame_bytes = 16_384

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        # For the whole connection, tasks it starts and database calls included (they copy the context).
        with translation.override(chosen_language(scope.get("cookies", {}))):
            await super().__call__(scope, receive, send)

    async def websocket_connect(self, message: dict) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first so the client learns why (a close before accept is a bare HTTP 403).
            await self.accept()
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        await super().websocket_connect(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None:
            await self.send_error("bad_frame", "binary frames are not accepted")
            return
        if len(text_data.encode()) > self.max_frame_bytes:
            await self.send_error("too_large", f"frame exceeds {self.max_frame_bytes} bytes")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", "frame is not valid JSON")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_message", "a message is a JSON object with a string 'type'")
            return
        try:
            await self.receive_json(content)
        except ProtocolError as error:
            await self.send_error(error.code, error.detail, ref=content.get("ref"))

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        # autobahn (under daphne) refuses a close code whose type is not exactly int, so no IntEnum members.
        await super().close(code=int(code) if isinstance(code, IntEnum) else code, reason=reason)

    async def send_error(self, code: str, detail: str, ref: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "error": code, "detail": detail}
        if isinstance(ref, (str, int)):
            frame["ref"] = ref
        await self.send_json(frame)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"))
