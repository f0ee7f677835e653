"""A fuzzed socket: send one frame, then a probe, and collect what came back until the probe's answer.

The probe (``{"type": "fuzz.probe", "ref": "probe-N"}``) is a message no socket knows, so every socket answers it
with an ``unknown_type`` error frame carrying its ref (or ``rate_limited``, also with the ref): reading up to that
answer collects every frame the fuzzed one caused, with no timing assumption. A socket the fuzzed frame closed
is reported with its close code and opened again for the next example.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.client import Session

ANSWER_SECONDS = 20.0  # a bound on a hung server, not a performance assertion
INTERNAL_ERROR = 1011


@dataclass
class Outcome:
    frames: list[dict[str, Any]] = field(default_factory=list)  # what the server sent before the probe's answer
    closed: int | None = None  # the close code, if the socket closed

    @property
    def errors(self) -> list[str]:
        return [frame["error"] for frame in self.frames if frame.get("type") == "error"]


class FuzzedSocket:
    def __init__(self, session: Session, path: str) -> None:
        self.session, self.path = session, path
        self.connections = ExitStack()
        self.probes = 0
        self.sent = 0
        self.ws = self.connect()

    def connect(self) -> ClientConnection:
        return self.connections.enter_context(
            connect(
                self.session.base_url.replace("http://", "ws://", 1) + self.path,
                additional_headers={"Cookie": self.session.cookie_header},
                origin=self.session.base_url,
                max_size=2**22,
                open_timeout=ANSWER_SECONDS,
            )
        )

    def exchange(self, frame: str | bytes) -> Outcome:
        """Send the frame and the probe; what came back (the socket is open again afterwards)."""
        self.probes += 1
        probe = f"probe-{self.probes}"
        outcome = Outcome()
        try:
            self.ws.send(frame)
            self.sent += 1
            self.ws.send(json.dumps({"type": "fuzz.probe", "ref": probe}))
            while True:
                reply = json.loads(self.ws.recv(timeout=ANSWER_SECONDS))
                if reply.get("type") == "error" and reply.get("ref") == probe:
                    return outcome
                outcome.frames.append(reply)
        except ConnectionClosed as closed:
            outcome.closed = closed.rcvd.code if closed.rcvd else 1006  # 1006: closed without a close frame
            self.ws = self.connect()
            return outcome

    def close(self) -> None:
        self.connections.close()
