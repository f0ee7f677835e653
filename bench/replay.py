"""A pre-encoded VP8 clip (bench.media.encode_clip) sent as a live camera by an aiortc peer connection: the load
generators spend no CPU encoding. Imports aiortc and PyAV: load it in the processes that stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from fractions import Fraction

import av
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamTrack

VIDEO_CLOCK = 90_000  # RTP's clock rate for video


class ReplayTrack(MediaStreamTrack):
    """The packets in a loop from the first (the clip's keyframe), ``fps`` a second; a new track per offer.
    ``on_sent`` is called as each packet goes out (a load generator's count of what it sent)."""

    kind = "video"

    def __init__(self, packets: list[bytes], fps: int, on_sent: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.packets, self.fps, self.on_sent = packets, fps, on_sent
        self.index = 0
        self.next: float | None = None

    async def recv(self) -> av.Packet:
        now = time.monotonic()
        self.next = now if self.next is None else self.next + 1 / self.fps
        await asyncio.sleep(max(0.0, self.next - now))
        packet = av.Packet(self.packets[self.index % len(self.packets)])
        packet.pts, packet.time_base = self.index * (VIDEO_CLOCK // self.fps), Fraction(1, VIDEO_CLOCK)
        self.index += 1
        if self.on_sent is not None:
            self.on_sent()
        return packet


def send_replay(
    pc: RTCPeerConnection, packets: list[bytes], fps: int, on_sent: Callable[[], None] | None = None
) -> None:
    """Add a send-only VP8 transceiver replaying ``packets`` to ``pc`` (before its offer)."""
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    pc.addTransceiver(ReplayTrack(packets, fps, on_sent), direction="sendonly").setCodecPreferences(vp8)
