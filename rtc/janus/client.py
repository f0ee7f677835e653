"""Async client for Janus's HTTP API (the one our server uses; browsers never reach it).

One ``JanusSession`` per lesson participant socket: its handles are the participant's
publisher and subscriber ends in a VideoRoom. Destroying the session removes the participant
from Janus at once. Events arrive by long-poll and go to the ``on_event`` callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0
LONG_POLL_TIMEOUT = 40.0  # Janus answers an idle long-poll after 30 s with a keepalive
KEEPALIVE_EVERY = 25.0
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
VIDEOROOM = "janus.plugin.videoroom"


class JanusError(Exception):
    """Janus answered with an error, or could not be reached (``code`` 0)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusUnavailable(JanusError):
    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


SESSION_NOT_FOUND = 458
HANDLE_NOT_FOUND = 459


async def http_json(method: str, url: str, body: dict | None = None, timeout: float = REQUEST_TIMEOUT) -> dict:
    """One HTTP/1.1 request with a JSON body and a JSON answer (loopback only, no TLS)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"unsupported Janus URL {url!r}")
    payload = json.dumps(body).encode() if body is not None else b""
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = (
        f"{method} {target} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
            try:
                writer.write(head + payload)
                await writer.drain()
                raw = b""
                while chunk := await reader.read(65_536):  # Connection: close, so read to EOF
                    raw += chunk
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise JanusUnavailable("answer from Janus too large")
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError) as error:
        raise JanusUnavailable(f"{method} {parts.path}: {error or type(error).__name__}") from error
    status_line, _, rest = raw.partition(b"\r\n")
    headers, _, content = rest.partition(b"\r\n\r\n")
    if b" 200 " not in status_line + b" ":
        raise JanusUnavailable(f"HTTP {status_line.decode(errors='replace')}")
    if b"chunked" in headers.lower():
        content = _unchunk(content)
    try:
        return json.loads(content)
    except ValueError as error:
        raise JanusUnavailable(f"bad JSON from Janus: {content[:200]!r}") from error


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


EventCallback = Callable[[dict], Awaitable[None]]


class JanusSession:
    """A Janus session with a long-poll loop; ``on_event`` gets every asynchronous event.

    ``on_lost`` is called once if the session dies (Janus restarted or unreachable).
    """

    def __init__(self, base_url: str, api_secret: str, on_event: EventCallback, on_lost: Callable[[], Awaitable[None]]):
        self.base_url = base_url.rstrip("/")
        self.api_secret = api_secret
        self.on_event = on_event
        self.on_lost = on_lost
        self.session_id: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._pending: dict[str, asyncio.Future] = {}
        self.closed = False

    def _message(self, janus: str, **fields: Any) -> dict:
        return {"janus": janus, "transaction": secrets.token_hex(8), "apisecret": self.api_secret, **fields}

    async def _post(self, path: str, message: dict) -> dict:
        answer = await http_json("POST", self.base_url + path, message)
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    async def create(self) -> None:
        answer = await self._post("", self._message("create"))
        self.session_id = int(answer["data"]["id"])
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name=f"janus-poll-{self.session_id}"),
            asyncio.create_task(self._keepalive_loop(), name=f"janus-keepalive-{self.session_id}"),
        ]

    async def attach(self, plugin: str = VIDEOROOM) -> int:
        answer = await self._post(f"/{self.session_id}", self._message("attach", plugin=plugin))
        return int(answer["data"]["id"])

    async def detach(self, handle_id: int) -> None:
        with contextlib.suppress(JanusError):
            await self._post(f"/{self.session_id}/{handle_id}", self._message("detach"))

    async def request(self, handle_id: int, body: dict) -> dict:
        """A synchronous plugin request (create, exists, kick, moderate, listparticipants...)."""
        answer = await self._post(f"/{self.session_id}/{handle_id}", self._message("message", body=body))
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return data

    async def message(self, handle_id: int, body: dict, jsep: dict | None = None, timeout: float = 15.0) -> dict:
        """An asynchronous plugin request: returns the event that answers it (with its ``jsep``)."""
        message = self._message("message", body=body)
        if jsep is not None:
            message["jsep"] = jsep
        waiter: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[message["transaction"]] = waiter
        try:
            answer = await self._post(f"/{self.session_id}/{handle_id}", message)
            if answer.get("janus") != "ack":
                event = answer
            else:
                async with asyncio.timeout(timeout):
                    event = await waiter
        except TimeoutError as error:
            raise JanusError(0, "Janus did not answer in time") from error
        finally:
            self._pending.pop(message["transaction"], None)
        data = event.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return event

    async def _poll_loop(self) -> None:
        url = f"{self.base_url}/{self.session_id}?maxev=10&rid="
        try:
            while not self.closed:
                try:
                    answer = await http_json(
                        "GET", url + secrets.token_hex(4) + f"&apisecret={self.api_secret}", timeout=LONG_POLL_TIMEOUT
                    )
                except JanusUnavailable:
                    if self.closed:
                        return
                    raise
                events = answer if isinstance(answer, list) else [answer]
                for event in events:
                    if event.get("janus") == "error" and event.get("error", {}).get("code") == SESSION_NOT_FOUND:
                        raise JanusError(SESSION_NOT_FOUND, "session gone")
                    await self._dispatch(event)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any failure means the session is lost
            if not self.closed:
                log.warning("janus session %s lost: %s", self.session_id, error)
                self.closed = True
                await self.on_lost()

    async def _dispatch(self, event: dict) -> None:
        kind = event.get("janus")
        if kind in {"keepalive", "ack"}:
            return
        waiter = self._pending.get(event.get("transaction", ""))
        if waiter is not None and not waiter.done() and kind == "event":
            waiter.set_result(event)
            return
        try:
            await self.on_event(event)
        except Exception:
            log.exception("janus event handler failed")

    async def _keepalive_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(KEEPALIVE_EVERY)
            with contextlib.suppress(JanusError):
                await self._post(f"/{self.session_id}", self._message("keepalive"))

    async def lose(self, reason: str) -> None:
        """Give the session up now: its instance is known dead (the health check), so the long-poll would only
        notice when it times out (a host that vanished sends no reset). ``on_lost`` is called, once."""
        if self.closed:
            return
        log.warning("janus session %s lost: %s", self.session_id, reason)
        self.closed = True
        for task in self._tasks:
            task.cancel()
        await self.on_lost()

    async def destroy(self) -> None:
        """Tear the session down: Janus hangs up every handle, the room sees the participant leave."""
        if self.closed and self.session_id is None:
            return
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.cancel()
        if self.session_id is not None:
            with contextlib.suppress(JanusError):
                await self._post(f"/{self.session_id}", self._message("destroy"))
        self.session_id = None
