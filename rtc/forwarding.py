"""Encoded frames as received: the live view forwards a student's video frames to watching proctors, and the recorder
(:mod:`rtc.recording`) copies the camera's and the microphone's frames into a file.

Relaying decoded frames would make aiortc encode the live grade again for every viewer (VP8 at 640x480 costs ~4.5
ms of CPU per frame, ~70 ms per second at 15 fps — as much as analysing 5-7 students). Instead
:class:`EncodedFrameTap` copies each reassembled, still-encoded frame of the student's receiver to its sinks:
:class:`ForwardedVideoTrack` subscribers, whose packets aiortc only packetizes, and recorders. An audio receiver
(Opus, 48 kHz timestamps) is tapped the same way. A viewer starts at a keyframe: one is requested from the
student's browser (RTCP PLI) when a viewer subscribes, falls behind, or reports picture loss itself.

aiortc (pinned 1.16) has no public hook for encoded frames: the tap wraps ``put`` of the receiver's decoder queue,
through which every frame passes on the event loop thread. tests/exams covers the live view end to end, so a
change of that internal fails loudly.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
BACKLOG_FRAMES = 30  # a viewer this far behind skips to the next keyframe


def is_vp8_keyframe(data: bytes) -> bool:
    """RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame."""
    return bool(data) and not data[0] & 0x01


FrameSink = Callable[[JitterFrame], None]


class EncodedFrameTap:
    """Copies every encoded frame a receiver (video or audio) reassembles to its sinks, on the event loop.

    With ``decode=False`` the frames go to the sinks only, never to aiortc's decoder thread (which then waits idle
    until the receiver stops): for a stream whose sinks decode what they need themselves, e.g. a microphone heard
    at 16 kHz mono off the event loop, without a thread hand-off, a 48-kHz stereo decode and a queue per frame.
    """

    def __init__(self, receiver: RTCRtpReceiver, decode: bool = True) -> None:
        self._receiver = receiver
        self._sinks: dict[FrameSink, None] = {}  # in the order added
        self._requests: set[asyncio.Task] = set()
        # aiortc's private queue (see the module docstring): items are (codec, encoded frame), None to stop.
        decoder_queue: queue.Queue[tuple[Any, JitterFrame] | None]
        decoder_queue = receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
        put = decoder_queue.put

        def tapped_put(item: tuple[Any, JitterFrame] | None, *args: Any, **kwargs: Any) -> None:
            if decode or item is None:  # None stops the decoder thread: always passed on
                put(item, *args, **kwargs)
            if item is not None:
                for sink in list(self._sinks):
                    sink(item[1])

        decoder_queue.put = tapped_put  # type: ignore[method-assign]  # the tap itself

    def add_sink(self, sink: FrameSink) -> None:
        self._sinks[sink] = None

    def remove_sink(self, sink: FrameSink) -> None:
        self._sinks.pop(sink, None)

    def subscribe(self) -> ForwardedVideoTrack:
        """A live view of the (video) stream, from a keyframe that is requested now."""
        track = ForwardedVideoTrack(self)
        self.add_sink(track.push)
        self.request_keyframe()
        return track

    def request_keyframe(self) -> None:
        """Ask the student's browser for a keyframe (RTCP PLI on every source of the stream)."""
        for source in self._receiver.getSynchronizationSources():
            request = asyncio.ensure_future(self._receiver._send_rtcp_pli(source.source))
            self._requests.add(request)
            request.add_done_callback(self._requests.discard)


class ForwardedVideoTrack(MediaStreamTrack):
    """The student's encoded frames, from a keyframe on, as ``av.Packet`` for an aiortc sender."""

    kind = "video"

    def __init__(self, tap: EncodedFrameTap) -> None:
        super().__init__()
        self.tap = tap
        self._frames: asyncio.Queue[JitterFrame] = asyncio.Queue()
        self._synced = False  # a keyframe has been passed on since the start or the last skip

    def push(self, frame: JitterFrame) -> None:
        """Called on the event loop for every frame the student's receiver reassembles."""
        if not self._synced:
            if not is_vp8_keyframe(frame.data):
                return
            self._synced = True
        if self._frames.qsize() >= BACKLOG_FRAMES:
            while not self._frames.empty():
                self._frames.get_nowait()
            self._synced = False
            self.tap.request_keyframe()
            return
        self._frames.put_nowait(frame)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._frames.get()
        packet = av.Packet(frame.data)
        packet.pts, packet.time_base = frame.timestamp, VIDEO_TIME_BASE
        return packet

    def stop(self) -> None:
        self.tap.remove_sink(self.push)
        super().stop()


def relay_picture_loss(sender: RTCRtpSender, track: ForwardedVideoTrack) -> None:
    """A viewer's picture-loss report (PLI/FIR) becomes a keyframe request to the student's browser.

    aiortc's sender would otherwise only flag its own encoder, which forwarded frames never pass.
    """
    sender._send_keyframe = track.tap.request_keyframe  # type: ignore[method-assign]  # aiortc has no hook
