"""Frames every socket may send (each socket's own frames are typed next to its schemas)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class ErrorFrame(TypedDict):
    """The answer to a message that could not be processed; the socket stays open."""

    type: Literal["error"]
    error: str  # a stable code, e.g. bad_field, unknown_type, rate_limited
    detail: str  # what went wrong, naming the field
    ref: NotRequired[str | int]  # the message's own ref, if it had one


class Pong(TypedDict):
    type: Literal["pong"]


PONG: Pong = {"type": "pong"}
