"""The lesson's participants with real media, in a process of their own (:func:`media_process`), as the page does it
(web/static/js/lesson.js) with aiortc in place of the browser.

On ``joined`` a :class:`MediaParticipant` subscribes to every feed of the room, and to each ``feed.added``
(``subscribe``, Janus's ``offer``, our ``answer``); a publisher then sends its camera (``publish``, Janus's answer
in ``published``): the testdata clip pre-encoded as VP8 (:data:`CAMERA`, no audio), replayed by bench/replay.py.
Every subscription decodes what arrives and counts the frames (reported every half second). After ``media.lost`` or a
lost socket every peer connection is closed and the participant joins again (tests/support/lesson_traffic.py).

It is up only while media flows: frames within :data:`STALL_SECONDS` from as many feeds as the lesson has
publishers besides itself and, if it publishes, its own camera's connection up. So a rejoin after a dead Janus
counts as back when the media is back, not at ``joined``; and media that stops without a word is an outage too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.media import encode_clip
from bench.replay import send_replay

from .lesson_traffic import LessonParticipant
from .paths import testdata
from .traffic_base import Reporter, Sink, run_until_stopped

CLIP = "video/clips/carphone.mp4"
CAMERA = (320, 240, 15, 300_000)  # width, height, fps, bit/s: about a browser's middle simulcast layer
STALL_SECONDS = 5.0  # no frame from a feed for this long: it is not received (tolerant of a busy machine)
WATCH_EVERY = 0.5  # seconds between two looks at the media, each reporting the frames counted since


@dataclass
class Subscription:
    pc: RTCPeerConnection
    counters: list[asyncio.Future[None]]  # one task a video track, reading (and decoding) its frames


class MediaParticipant(LessonParticipant):
    """A lesson participant with aiortc media: ``camera`` (VP8 packets) to publish or None; up while frames come
    from ``expected`` feeds (the lesson's other publishers) and its camera, if any, is connected."""

    def __init__(
        self, url: str, lesson: int, cookie: str, state: Sink, camera: list[bytes] | None, expected: int
    ) -> None:
        super().__init__(url, lesson, cookie, state)
        self.camera, self.expected = camera, expected
        self.publisher: RTCPeerConnection | None = None
        self.requested: set[int] = set()  # feeds subscribed to since the join (once each, as the page does)
        self.subscriptions: dict[int, Subscription] = {}
        self.last_frame: dict[int, float] = {}  # feed → when its last frame was decoded (monotonic)
        self.counted = 0  # frames since the last report
        self.receiving = False  # as last reported

    async def run(self) -> None:
        watcher = asyncio.ensure_future(self.watch())
        try:
            await super().run()
        finally:
            watcher.cancel()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_EVERY)
            if self.counted:
                self.state.frames(self.counted)
                self.counted = 0
            receiving = self.media_flows()
            if receiving != self.receiving:
                self.receiving = receiving
                (self.state.up if receiving else self.state.down)()

    def media_flows(self) -> bool:
        now = time.monotonic()
        fed = sum(1 for at in self.last_frame.values() if now - at < STALL_SECONDS)
        sending = self.camera is None or (self.publisher is not None and self.publisher.connectionState == "connected")
        return self.in_room and sending and fed >= self.expected

    async def handle(self, ws: websockets.ClientConnection, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "published" and self.publisher is not None:
            await self.publisher.setRemoteDescription(RTCSessionDescription(sdp=frame["sdp"], type="answer"))
        elif kind == "offer":
            await self.answer(ws, frame["feed"], frame["sdp"])
        elif kind == "feed.added":
            await self.subscribe(ws, frame["feed"]["id"])
        elif kind == "feed.removed":
            await self.unsubscribed(frame["feed"])
        else:
            await super().handle(ws, frame)

    async def entered(self, ws: websockets.ClientConnection, joined: dict[str, Any]) -> None:
        for feed in joined["feeds"]:
            await self.subscribe(ws, feed["id"])
        if self.camera is not None:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            send_replay(pc, self.camera, CAMERA[2])
            self.told_if_failed(pc, "camera")
            await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate: no trickle
            self.publisher = pc
            await ws.send(json.dumps({"type": "publish", "source": "camera", "sdp": pc.localDescription.sdp}))

    def told_if_failed(self, pc: RTCPeerConnection, what: str) -> None:
        """A connection that fails (ICE, DTLS) is counted as a trouble: ``camera failed``, ``subscription failed``."""

        @pc.on("connectionstatechange")
        def changed() -> None:
            if pc.connectionState == "failed":
                self.state.error(f"{what} failed")

    async def subscribe(self, ws: websockets.ClientConnection, feed: int) -> None:
        """Once a feed (one may come both in ``joined`` and in ``feed.added``): a second ``subscribe`` would replace
        the server's subscription while our answer to the first offer is on its way, and that answer would start
        the new one."""
        if feed not in self.requested:
            self.requested.add(feed)
            await ws.send(json.dumps({"type": "subscribe", "feed": feed}))

    async def answer(self, ws: websockets.ClientConnection, feed: int, sdp: str) -> None:
        if feed not in self.requested:
            return  # an offer for a feed gone meanwhile (the page ignores it too)
        await self.close_subscription(feed)  # a new offer replaces the feed's subscription
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.told_if_failed(pc, "subscription")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        tracks = [t.receiver.track for t in pc.getTransceivers() if t.kind == "video"]
        self.subscriptions[feed] = Subscription(pc, [asyncio.ensure_future(self.count(feed, t)) for t in tracks])
        await pc.setLocalDescription(await pc.createAnswer())
        await ws.send(json.dumps({"type": "answer", "feed": feed, "sdp": pc.localDescription.sdp}))

    async def count(self, feed: int, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.last_frame[feed] = time.monotonic()
                self.counted += 1

    async def unsubscribed(self, feed: int) -> None:
        """The feed is gone."""
        self.requested.discard(feed)
        await self.close_subscription(feed)

    async def close_subscription(self, feed: int) -> None:
        self.last_frame.pop(feed, None)
        subscription = self.subscriptions.pop(feed, None)
        if subscription is not None:
            for counter in subscription.counters:
                counter.cancel()
            await subscription.pc.close()

    async def drop_media(self) -> None:
        for feed in list(self.requested | set(self.subscriptions)):
            await self.unsubscribed(feed)
        self.last_frame.clear()
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            await publisher.close()
        self.receiving = False  # the caller reported it down


def media_entries(cookies: list[str], students: int) -> list[dict[str, Any]]:
    """The teacher (``cookies[0]``) and the first ``students`` students, with media: the teacher and the first
    student publish their cameras, and every one of them subscribes to the others' (a student sees the teacher and
    the classmate, the teacher the student); ``index`` is the participant's place in ``cookies``."""
    publishers = 1 + min(students, 1)
    return [
        {"index": index, "cookie": cookie, "publish": index < publishers, "expected": publishers - (index < publishers)}
        for index, cookie in enumerate(cookies[: 1 + students])
    ]


def media_process(url: str, lesson: int, participants: list[dict[str, Any]], reports: Any, stop: Any) -> None:
    """A process's media participants (:func:`media_entries`), until ``stop`` is set."""
    asyncio.run(_media(url, lesson, participants, reports, stop))


def camera_packets() -> list[bytes]:
    """What a publisher sends: the clip at :data:`CAMERA`, with a keyframe a second — it stands in for a browser's
    answer to Janus's keyframe requests (a new subscriber's PLI), which a replay cannot give."""
    width, height, fps, bitrate = CAMERA
    return encode_clip(testdata(CLIP), width, height, fps, bitrate, gop=fps)


def participants_of(
    url: str, lesson: int, entries: list[dict[str, Any]], sink: Callable[[int], Sink]
) -> list[MediaParticipant]:
    """The media participants of :func:`media_entries`, each telling ``sink(index)`` how it is doing."""
    camera = camera_packets()
    return [
        MediaParticipant(url, lesson, e["cookie"], sink(e["index"]), camera if e["publish"] else None, e["expected"])
        for e in entries
    ]


async def _media(url: str, lesson: int, participants: list[dict[str, Any]], reports: Any, stop: Any) -> None:
    clients = participants_of(url, lesson, participants, lambda index: Reporter(reports, index))
    await run_until_stopped(stop, [client.run() for client in clients])
