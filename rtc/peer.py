"""The server side of a student's camera stream: one aiortc peer connection per exam session.

Never created without an explicit ICE configuration: aiortc's default is a public
Google STUN server (see ../shared/STACK.md); ours comes from ``settings.RTC_ICE_SERVERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from django.conf import settings

log = logging.getLogger(__name__)

MAX_SDP_BYTES = 12_000


def ice_configuration() -> RTCConfiguration:
    servers = [
        RTCIceServer(urls=entry["urls"], username=entry.get("username"), credential=entry.get("credential"))
        for entry in settings.RTC_ICE_SERVERS
    ]
    return RTCConfiguration(iceServers=servers)


class StudentPeer:
    """Receives one student's camera; every decoded video frame goes to ``on_frame``."""

    def __init__(self, on_frame: Callable[[Any], None], on_state: Callable[[str], None]) -> None:
        self.pc = RTCPeerConnection(ice_configuration())
        self._on_frame = on_frame
        self._on_state = on_state
        self._readers: list[asyncio.Task] = []
        self._closing = False
        self.pc.on("track", self._track)
        self.pc.on("connectionstatechange", lambda: self._state(self.pc.connectionState))

    def _state(self, state: str) -> None:
        if not self._closing:  # our own close() is not news to anyone
            self._on_state(state)

    def _track(self, track) -> None:
        if track.kind == "video":
            self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track) -> None:
        try:
            while True:
                self._on_frame(await track.recv())
        except MediaStreamError:
            self._state("track_ended")

    async def answer(self, offer_sdp: str) -> str:
        """Accept a complete (non-trickle) offer and return the complete answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def close(self) -> None:
        self._closing = True
        for reader in self._readers:
            reader.cancel()
        with contextlib.suppress(Exception):
            await self.pc.close()
