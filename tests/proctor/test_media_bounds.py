"""Unit tests of the bounds of point 7 (issue 11): the exam offer's media sections, the media worker's per-session
queue, aiortc's per-track queues. The end-to-end proof is tests/exams/test_hostile_client.py."""

from __future__ import annotations

import asyncio
import queue
from types import SimpleNamespace

from aiortc.rtcrtpreceiver import RemoteStreamTrack
from channels.layers import get_channel_layer

from proctor.media import worker
from proctor.media.sdp import media_sections, offer_problem
from rtc import bounds
from rtc.forwarding import EncodedFrameTap

CAMERA = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"


def test_media_sections_are_read_from_the_m_lines_in_order():
    sdp = CAMERA + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    assert media_sections(sdp) == ["video", "audio", "application"]
    assert media_sections("v=0\nm=video 9 RTP/AVP 96\n") == ["video"]  # bare newlines too


def test_an_exam_offer_carries_exactly_one_camera():
    assert offer_problem(CAMERA) is None
    ten = CAMERA + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" * 9
    assert "it carries 10 m=video" in offer_problem(ten)
    with_audio = offer_problem(CAMERA + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    assert "1 m=audio" in with_audio
    assert "1 m=application" in offer_problem(CAMERA + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n")
    assert "carries none" in offer_problem("v=0\r\ns=-\r\n")


def test_an_exam_that_listens_takes_at_most_one_microphone_with_the_camera():
    microphone = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    assert offer_problem(CAMERA + microphone, microphone=True) is None
    assert offer_problem(CAMERA, microphone=True) is None  # left out: hears nothing, like a muted microphone
    assert "it carries 2 m=audio, 1 m=video" in offer_problem(CAMERA + microphone * 2, microphone=True)
    assert "at most 1 m=audio" in offer_problem(CAMERA + microphone * 2, microphone=True)
    assert "carries 1 m=audio" in offer_problem(microphone, microphone=True)  # no camera


def test_an_exam_that_watches_the_screen_takes_at_most_one_more_video_section():
    screen = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n"
    microphone = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    assert offer_problem(CAMERA + microphone + screen, microphone=True, screen=True) is None
    assert offer_problem(CAMERA, screen=True) is None  # the page always offers it; the policy decides what counts
    assert "at most 1 more m=video (the screen)" in offer_problem(CAMERA + screen * 2, screen=True)
    assert "it carries 2 m=video" in offer_problem(CAMERA + screen)  # an exam that does not watch the screen


class StuckWorker(worker.MediaWorker):
    """A worker whose handling of a session never finishes: every later message of it waits."""

    async def _dispatch(self, session_id, message):
        await asyncio.Event().wait()


async def test_a_session_never_has_more_than_its_bound_of_messages_waiting():
    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    media = StuckWorker(worker_id=1)
    await media.queue(7, {"type": "media.attach", "session": 7, "reply_to": reply_to})
    await asyncio.sleep(0)  # the attach is taken and stays in hand
    for request in range(1, 1001):
        await media.queue(7, {"type": "media.offer", "session": 7, "reply_to": reply_to, "request": request})
    pending = media._pending[7]
    assert [m["request"] for m in pending] == [1000]  # the newest offer replaced every waiting one
    pending.clear()
    for _ in range(1000):
        await media.queue(7, {"type": "media.browser_event", "session": 7, "reply_to": reply_to})
    assert len(pending) == worker.PENDING_PER_SESSION
    await media.queue(7, {"type": "media.offer", "session": 7, "reply_to": reply_to, "request": 1001})
    assert len(pending) == worker.PENDING_PER_SESSION
    rejected = await asyncio.wait_for(layer.receive(reply_to), 2)
    assert (rejected["type"], rejected["request"]) == ("media.rejected", 1001)
    await media.queue(7, {"type": "media.detach", "session": 7, "reply_to": reply_to})
    assert pending[-1]["type"] == "media.detach"  # never dropped: the peer would stay without an owner


async def test_decoded_frames_waiting_for_a_reader_keep_only_the_newest():
    track = RemoteStreamTrack(kind="video")
    bounds._bound_decoded(track)
    for frame in range(100):
        await track._queue.put(frame)  # as aiortc's decoder thread does, through the loop
    assert track._queue.qsize() == bounds.DECODED_FRAMES
    assert [await track.recv() for _ in range(bounds.DECODED_FRAMES)] == list(range(100 - bounds.DECODED_FRAMES, 100))
    await track._queue.put(None)  # the end of the track still gets through
    assert track._queue.get_nowait() is None


class Receiver:
    """What the bound touches of an aiortc RTCRtpReceiver: its decoder queue, its sources, PLI."""

    def __init__(self) -> None:
        self._RTCRtpReceiver__decoder_queue: queue.Queue = queue.Queue()
        self.keyframe_requests = 0

    def getSynchronizationSources(self):
        return [SimpleNamespace(source=1234)]

    async def _send_rtcp_pli(self, ssrc: int) -> None:
        self.keyframe_requests += 1


def vp8(keyframe: bool) -> tuple[str, SimpleNamespace]:
    return "VP8", SimpleNamespace(data=bytes([0x00 if keyframe else 0x01, 0, 0]))


async def test_encoded_frames_beyond_the_bound_are_skipped_up_to_the_next_keyframe():
    receiver = Receiver()
    bounds._bound_encoded(receiver, video=True)
    encoded = receiver._RTCRtpReceiver__decoder_queue
    for _ in range(100):  # the decoder is stuck: nothing is taken
        encoded.put(vp8(keyframe=False))
    assert encoded.qsize() == bounds.ENCODED_FRAMES
    await asyncio.sleep(0)
    assert receiver.keyframe_requests == 1  # asked once, not per dropped frame
    while not encoded.empty():  # the decoder catches up
        encoded.get_nowait()
    encoded.put(vp8(keyframe=False))
    assert encoded.empty()  # undecodable without the frames skipped
    encoded.put(vp8(keyframe=True))
    encoded.put(vp8(keyframe=False))
    assert encoded.qsize() == 2
    encoded.put(None)  # the receiver's stop always gets through
    assert encoded.qsize() == 3


def test_a_tap_that_decodes_nothing_gives_every_frame_to_its_sinks_and_none_to_aiortcs_decoder():
    """A microphone is heard from its encoded frames (proctor.live.hearing): aiortc's decoder thread gets only the
    receiver's stop, so it never decodes (nor queues) a frame."""
    receiver = Receiver()
    tap = EncodedFrameTap(receiver, decode=False)
    heard: list = []
    tap.add_sink(heard.append)
    encoded = receiver._RTCRtpReceiver__decoder_queue
    frames = [SimpleNamespace(data=bytes([index]), timestamp=index * 2880) for index in range(5)]
    for frame in frames:
        encoded.put(("opus", frame))
    assert heard == frames
    assert encoded.empty()
    encoded.put(None)  # the receiver stops: its decoder thread must still hear of it
    assert encoded.get_nowait() is None
