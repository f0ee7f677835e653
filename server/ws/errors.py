"""What a socket tells a client that something went wrong: an error frame's code, or a close code."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class CloseCode(IntEnum):
    """WebSocket close codes our sockets use (the pages read them from the server, see web/)."""

    UNAUTHENTICATED = 4401  # no logged-in user: log in again
    FORBIDDEN = 4403  # not allowed to open this socket: do not reconnect
    REPLACED = 4409  # a newer tab took this exam session over
    SESSION_OVER = 4410  # the exam session has ended
    RIGHTS_CHANGED = 4412  # the login session ended or was renewed (server.ws.rights): reconnect, the server decides


class ProtocolError(Exception):
    """A client message that cannot be processed; reported in an error frame and the socket stays open.

    ``extra`` fields are added to the error frame (chat's ``blocked`` carries the reason in both languages).
    """

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra
