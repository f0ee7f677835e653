"""Chat limits, from environment variables with safe defaults (documented in docs/chat-protocol.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _rate(name: str, default: str) -> tuple[int, float]:
    """A rate written ``count/seconds`` (e.g. ``20/10``: 20 per 10 s)."""
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), float(seconds or 1)


@dataclass(frozen=True)
class ChatLimits:
    max_text_chars: int
    edit_window_seconds: int
    user_rate: tuple[int, float]
    room_rate: tuple[int, float]
    typing_rate: tuple[int, float]
    page_size: int


# Sizes fixed by the protocol (docs/chat-protocol.md); the chat page sends them to its script.
SUBSCRIBE_MAX_ROOMS = 200  # rooms in one subscribe frame (a client with more sends several)
REPORT_REASON_MAX_CHARS = 500


def load_limits() -> ChatLimits:
    return ChatLimits(
        max_text_chars=int(os.environ.get("CHAT_MAX_TEXT_CHARS", "4000")),
        edit_window_seconds=int(os.environ.get("CHAT_EDIT_WINDOW_SECONDS", "900")),
        user_rate=_rate("CHAT_RATE_PER_USER", "20/10"),
        room_rate=_rate("CHAT_RATE_PER_ROOM", "60/10"),
        typing_rate=_rate("CHAT_RATE_TYPING", "3/3"),
        page_size=100,
    )


LIMITS = load_limits()
