"""Shared steps of the lesson tests: a lesson that is on right now, and signalling clients."""

from __future__ import annotations

import json

from tests.support import setups
from tests.support.client import logged_in, receive_json
from tests.support.servers import LiveEnvironment


def lesson_now(live: LiveEnvironment, group: str = "9А", teacher: str = "teacher", started_minutes_ago: int = 1) -> int:
    """A lesson of ``group`` that started a minute ago (so the join window is open); returns its id."""
    return live.call(setups.lesson_now, group=group, teacher=teacher, started_minutes_ago=started_minutes_ago)


async def connect(base_url: str, username: str, lesson_id: int):
    return await logged_in(base_url, username).websocket(f"/ws/lessons/{lesson_id}/")


async def send(ws, message: dict) -> None:
    await ws.send(json.dumps(message))


async def expect(ws, kind: str, timeout: float = 15.0) -> dict:
    """Read frames until one of type ``kind`` arrives (other frames are skipped)."""
    while True:
        frame = await receive_json(ws, timeout=timeout)
        if frame["type"] == kind:
            return frame
        if frame["type"] == "error" and kind != "error":
            raise AssertionError(f"expected {kind}, got error {frame}")


async def join(base_url: str, username: str, lesson_id: int):
    ws = await connect(base_url, username, lesson_id)
    await send(ws, {"type": "join"})
    return ws, await expect(ws, "joined")
