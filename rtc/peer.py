"""The server side of a student's camera stream: one aiortc peer connection per exam session.

Never created without an explicit ICE configuration: aiortc's default (``RTCPeerConnection()``) asks
Google's public STUN server stun.l.google.com:19302, traffic leaving the school; ours comes from
``settings.RTC_ICE_SERVERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from django.conf import settings

from .bounds import bound_track
from .forwarding import EncodedFrameTap, ForwardedVideoTrack, FrameSink, relay_picture_loss
from .opus import ask_for_long_frames
from .recording import PieceRecorder

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 3.0

_open_peers: set[_Peer] = set()
_shutdown_hook_installed = False


def vp8_only(transceiver: RTCRtpTransceiver) -> None:
    """Negotiate VP8 on this transceiver: the codec the live view forwards without re-encoding."""
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in capabilities if c.mimeType in ("video/VP8", "video/rtx")])


def ice_configuration() -> RTCConfiguration:
    servers = [
        RTCIceServer(urls=entry["urls"], username=entry.get("username"), credential=entry.get("credential"))
        for entry in settings.RTC_ICE_SERVERS
    ]
    return RTCConfiguration(iceServers=servers)


class _Peer:
    """One server-side peer connection, closed on disconnect and at server shutdown.

    Every track it receives has bounded queues (:mod:`rtc.bounds`), read or not.
    """

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(ice_configuration())
        self._closing = False
        self._readers: list[asyncio.Task] = []
        self.pc.on("track", lambda track: bound_track(self.receiver_of(track), track))  # before subclasses' handlers
        _open_peers.add(self)
        _install_shutdown_hook()

    def receiver_of(self, track: MediaStreamTrack) -> RTCRtpReceiver:
        return next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)

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
            await asyncio.wait_for(self.pc.close(), CLOSE_TIMEOUT)
        _open_peers.discard(self)


class StudentPeer(_Peer):
    """Receives one student's camera (VP8); every decoded video frame goes to ``on_frame``, and with ``on_audio``
    every encoded frame of the microphone as received (Opus, 60 ms as the answer asks, few in DTX silence; its
    ``timestamp`` on Opus's 48-kHz RTP clock, unwrapped) to it. The microphone is never decoded here: whoever
    listens decodes what they need (:class:`rtc.opus.OpusDecoder`), off the event loop.

    The offer's first ``m=video`` section is the camera; a second one, if present, is the student's shared
    screen (VP8, about 1 fps): nothing analyses it, its encoded frames are only tapped (:attr:`screen_tap`).
    The two are told apart by their transceivers, in the offer's section order, never by track ids.

    Watching proctors get the camera's or the screen's encoded frames as received (:meth:`live_track`): no
    second decode, no re-encode (:mod:`rtc.forwarding`). With a ``recorder``, the camera's, the microphone's and
    the screen's encoded frames are copied into it as well (:mod:`rtc.recording`), and it is closed with the peer.
    """

    def __init__(
        self,
        on_frame: Callable[[Any], None],
        on_state: Callable[[str], None],
        on_audio: FrameSink | None = None,
        recorder: PieceRecorder | None = None,
    ) -> None:
        super().__init__()
        self._on_frame = on_frame
        self._on_state = on_state
        self._on_audio = on_audio
        self._recorder = recorder
        self._tap: EncodedFrameTap | None = None
        self._audio_tap: EncodedFrameTap | None = None
        self.screen_tap: EncodedFrameTap | None = None  # the shared screen's encoded frames, once it arrives
        self._camera = self.pc.addTransceiver("video", direction="recvonly")  # the offer's first video lands here
        vp8_only(self._camera)
        self._screen: RTCRtpTransceiver | None = None
        self.pc.on("track", self._track)
        self.pc.on("connectionstatechange", lambda: self._state(self.pc.connectionState))

    async def answer(self, offer_sdp: str) -> str:
        """As :meth:`_Peer.answer`; an offer with a second video section gets a VP8 transceiver for the screen, and the
        microphone is asked for 60-ms Opus frames with DTX (:mod:`rtc.opus`)."""
        videos = sum(line.startswith("m=video") for line in offer_sdp.splitlines())
        if videos > 1 and self._screen is None:
            self._screen = self.pc.addTransceiver("video", direction="recvonly")
            vp8_only(self._screen)
        return ask_for_long_frames(await super().answer(offer_sdp))

    def _state(self, state: str) -> None:
        if not self._closing:  # our own close() is not news to anyone
            self._on_state(state)

    def _track(self, track: MediaStreamTrack) -> None:
        receiver = self.receiver_of(track)
        if receiver is self._camera.receiver and self._tap is None:
            self._tap = EncodedFrameTap(receiver)
            if self._recorder is not None:
                self._tap.add_sink(self._recorder.camera.video)
            self._readers.append(asyncio.ensure_future(self._read(track)))
        elif self._screen is not None and receiver is self._screen.receiver and self.screen_tap is None:
            self.screen_tap = EncodedFrameTap(receiver)  # decoded frames are left to rtc.bounds: none is read
            if self._recorder is not None:
                self.screen_tap.add_sink(self._recorder.screen.video)
        elif track.kind == "audio" and self._audio_tap is None:
            self._audio_tap = EncodedFrameTap(receiver, decode=False)
            if self._recorder is not None:
                self._audio_tap.add_sink(self._recorder.camera.audio)
            if self._on_audio is not None:
                self._audio_tap.add_sink(self._on_audio)

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                self._on_frame(await track.recv())
        except MediaStreamError:
            self._state("track_ended")

    async def close(self) -> None:
        await super().close()
        if self._recorder is not None:
            self._recorder.close()

    def live_track(self, source: str = "camera") -> ForwardedVideoTrack | None:
        """A new view of the camera (or with ``source="screen"`` the shared screen) for a watching proctor, or None
        before that stream arrives."""
        tap = self.screen_tap if source == "screen" else self._tap
        return None if tap is None else tap.subscribe()


class ViewerPeer(_Peer):
    """Sends one student's camera or screen to a proctor's browser while the proctor watches live."""

    def __init__(self, track: ForwardedVideoTrack) -> None:
        super().__init__()
        self._track = track
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        vp8_only(transceiver)
        relay_picture_loss(transceiver.sender, track)

    async def close(self) -> None:
        self._track.stop()
        await super().close()


async def close_all_peers() -> None:
    """Close every peer of this process (server shutdown)."""
    await asyncio.gather(*(peer.close() for peer in list(_open_peers)), return_exceptions=True)


def _install_shutdown_hook() -> None:
    """Under daphne, make the reactor wait for every peer to close before it stops.

    On SIGTERM daphne closes the sockets first: consumers see a normal disconnect and start
    closing their peers, but daphne no longer waits for those consumers, so the loop could stop
    half-way through ``pc.close()`` and aiortc's (non-daemon) decoder threads would keep the
    process alive. A "before shutdown" trigger that returns a Deferred holds the reactor until
    the peers are closed.
    """
    global _shutdown_hook_installed
    if _shutdown_hook_installed or "twisted.internet.reactor" not in sys.modules:
        return  # not under daphne (tests with an in-process communicator): nothing to hold
    from twisted.internet import defer, reactor

    # zope.interface declares methods without self, so mypy reads the arguments one place off.
    reactor.addSystemEventTrigger(
        "before",
        "shutdown",  # type: ignore[arg-type]
        lambda: defer.Deferred.fromFuture(asyncio.ensure_future(close_all_peers())),
    )
    _shutdown_hook_installed = True
