"""HTTP login and WebSocket connections against a live daphne, as a browser would."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import urllib.parse
from typing import Any

import websockets


class Session:
    """A cookie-carrying HTTP client for one user (follows no redirects)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        all_headers = {"Cookie": self.cookie_header, "Origin": self.base_url, "Referer": self.base_url + path}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str) -> tuple[int, bytes]:
        status, _, data = self.request("GET", path)
        return status, data

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if "csrftoken" not in self.cookies:
            self.get(path)
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        return self.request("POST", path, body.encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        status, _, body = self.post_form("/accounts/login/", {"username": username, "password": password})
        if status != 302:
            text = re.sub(r"\s+", " ", body.decode(errors="replace"))[:300]
            raise AssertionError(f"login as {username} failed: HTTP {status} {text}")

    async def websocket(self, path: str, **kwargs: Any) -> websockets.ClientConnection:
        ws_base = self.base_url.replace("http://", "ws://", 1)
        return await websockets.connect(
            ws_base + path,
            additional_headers={"Cookie": self.cookie_header},
            origin=self.base_url,
            max_size=2**22,
            **kwargs,
        )


async def receive_json(ws: websockets.ClientConnection, timeout: float = 10.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def demo_password(username: str) -> str:
    """The demo school's password scheme (server.school.demo)."""
    return f"{username}-demo"


def logged_in(base_url: str, username: str, password: str | None = None) -> Session:
    """A session logged in as a demo user (password defaults to the demo scheme)."""
    session = Session(base_url)
    session.login(username, password or demo_password(username))
    return session
