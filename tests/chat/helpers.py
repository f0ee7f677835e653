"""A small chat client for the tests: frames by type, skipping the ones a test does not wait for."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import websockets

from tests.support import setups
from tests.support.client import Session, logged_in


class ChatSocket:
    def __init__(self, ws: websockets.ClientConnection, session: Session) -> None:
        self.ws = ws
        self.session = session
        self.seen: list[dict] = []  # frames read while waiting for another type

    @classmethod
    async def open(cls, base_url: str, username: str, session: Session | None = None) -> ChatSocket:
        session = session or logged_in(base_url, username)
        socket = cls(await session.websocket("/ws/chat/"), session)
        welcome = await socket.next()
        assert welcome["type"] == "welcome", welcome
        assert welcome["version"] == 1
        return socket

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 10.0) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def expect(self, *types: str, timeout: float = 10.0) -> dict:
        """The next frame of one of ``types``; other frames are kept in ``seen``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {types} frame within {timeout} s; saw {self.seen[-5:]}")
            frame = await self.next(left)
            if frame["type"] in types:
                return frame
            self.seen.append(frame)

    async def request(self, frame: dict[str, Any], *types: str) -> dict:
        await self.send(frame)
        return await self.expect(*types, "error")

    async def subscribe(self, room: int, after: int | None = None) -> tuple[dict, list[dict]]:
        """Subscribe; returns the ``subscribed`` frame and the backlog messages written before it."""
        entry: dict[str, Any] = {"room": room}
        if after is not None:
            entry["after"] = after
        await self.send({"type": "subscribe", "rooms": [entry]})
        backlog = []
        while True:
            frame = await self.expect("message", "subscribed", "error")
            if frame["type"] == "message":
                backlog.append(frame["message"])
            else:
                return frame, backlog

    async def say(self, room: int, text: str, client_id: str | None = None, **extra: Any) -> dict:
        frame = {"type": "send", "room": room, "client_id": client_id or uuid.uuid4().hex, "text": text, **extra}
        return await self.request(frame, "ack")

    async def messages(self, count: int, timeout: float = 10.0) -> list[dict]:
        return [(await self.expect("message", timeout=timeout))["message"] for _ in range(count)]

    async def close(self) -> None:
        await self.ws.close()


def make_room(live_env, kind: str, members: list[str], moderators: list[str]) -> int:
    """A fresh lesson/exam room (unique key) with the given demo users; returns its id."""
    key = uuid.uuid4().hex[:12]
    return live_env.call(
        setups.chat_room, kind=kind, key=key, title=f"test {key}", members=members, moderators=moderators
    )


def room_ids(live_env) -> dict[str, int]:
    """The demo school's chats: {"group:9А": id, "parents:9А": id, ...}."""
    return live_env.call(setups.group_chats)
