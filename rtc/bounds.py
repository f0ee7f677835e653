"""Bounds on aiortc's per-track queues, so a peer's memory does not grow with what its remote end sends.

aiortc (pinned 1.16) gives every received track two unbounded queues: the receiver's decoder queue of encoded
frames (filled on the event loop, emptied by the track's decoder thread) and the track's queue of decoded
frames (filled by the decoder thread, emptied by ``track.recv()``). A reader that falls behind, or a track
nobody reads (an offer with more sections than the server consumes), keeps every frame: a 640x480 decoded
frame is 460 KB, 15 a second per track. :func:`bound_track` caps both; neither has a public hook, so this
wraps ``put`` of each queue instance, as :mod:`rtc.forwarding` does (tests/rtc covers both queues).
"""

from __future__ import annotations

import asyncio
import queue
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack

from .forwarding import is_vp8_keyframe

DECODED_FRAMES = 8  # decoded frames waiting for the track's reader; a new one then drops the oldest
ENCODED_FRAMES = 30  # encoded frames waiting for the decoder; video then skips to the next keyframe, audio drops


def bound_track(receiver: RTCRtpReceiver, track: MediaStreamTrack) -> None:
    """Cap the receiver's decoder queue and the track's decoded-frame queue (call on the peer's ``track`` event,
    before its media flows)."""
    _bound_decoded(track)
    _bound_encoded(receiver, track.kind == "video")


def _bound_decoded(track: MediaStreamTrack) -> None:
    """Keep the newest ``DECODED_FRAMES``: a late reader (or none) gets the recent frames, never a backlog."""
    frames: asyncio.Queue[Any] = track._queue  # type: ignore[attr-defined]  # aiortc's RemoteStreamTrack

    async def put(frame: Any) -> None:  # the decoder thread schedules put(frame) on the loop; None ends the track
        while frame is not None and frames.qsize() >= DECODED_FRAMES:
            frames.get_nowait()
        frames.put_nowait(frame)

    frames.put = put  # type: ignore[method-assign,assignment]


def _bound_encoded(receiver: RTCRtpReceiver, video: bool) -> None:
    """At ``ENCODED_FRAMES`` waiting, drop new frames; video resumes at a keyframe (asked for with RTCP PLI), since
    frames after a gap cannot be decoded without one."""
    encoded: queue.Queue[tuple[Any, JitterFrame] | None]
    encoded = receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
    put = encoded.put
    requests: set[asyncio.Task] = set()
    skipping = False

    def bounded_put(item: tuple[Any, JitterFrame] | None, *args: Any, **kwargs: Any) -> None:
        nonlocal skipping
        if item is not None:
            full = encoded.qsize() >= ENCODED_FRAMES
            if video and not full and skipping and is_vp8_keyframe(item[1].data):
                skipping = False
            if full or skipping:
                if video and not skipping:
                    skipping = True
                    for source in receiver.getSynchronizationSources():
                        request = asyncio.ensure_future(receiver._send_rtcp_pli(source.source))
                        requests.add(request)
                        request.add_done_callback(requests.discard)
                return
        put(item, *args, **kwargs)

    encoded.put = bounded_put  # type: ignore[method-assign]
