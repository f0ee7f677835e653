"""The student's peer takes a shared screen as the offer's second video section: the camera stays the analysed,
first one, the screen's encoded frames reach ``screen_tap`` and a proctor's live view of the screen."""

from __future__ import annotations

import asyncio

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from rtc.peer import StudentPeer


class SizedTrack(VideoStreamTrack):
    """Synthetic video of one size (tells the screen's frames from the camera's)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.image = np.full((height, width, 3), 90, np.uint8)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self.image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def connect(student: StudentPeer, *tracks: VideoStreamTrack) -> RTCPeerConnection:
    browser = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for track in tracks:
        browser.addTrack(track)
    await browser.setLocalDescription(await browser.createOffer())
    answer = await student.answer(browser.localDescription.sdp)
    await browser.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return browser


async def test_the_second_video_section_is_the_screen_and_only_the_camera_is_analysed(private_network) -> None:
    analysed = []
    student = StudentPeer(on_frame=analysed.append, on_state=lambda state: None)
    browser = await connect(student, SizedTrack(320, 240), SizedTrack(640, 360))
    try:
        while len(analysed) < 5:
            await asyncio.sleep(0.05)
        assert student.screen_tap is not None
        camera, screen = student.live_track("camera"), student.live_track("screen")
        assert camera is not None
        assert screen is not None
        camera_packet, screen_packet = await asyncio.wait_for(asyncio.gather(camera.recv(), screen.recv()), 10)
        decoded = [av.CodecContext.create("vp8", "r").decode(packet)[0] for packet in (camera_packet, screen_packet)]
        camera.stop()
        screen.stop()
    finally:
        await student.close()
        await browser.close()
    assert {(frame.width, frame.height) for frame in analysed} == {(320, 240)}
    assert [(frame.width, frame.height) for frame in decoded] == [(320, 240), (640, 360)]


async def test_without_a_second_video_section_there_is_no_screen(private_network) -> None:
    analysed = []
    student = StudentPeer(on_frame=analysed.append, on_state=lambda state: None)
    browser = await connect(student, SizedTrack(320, 240))
    try:
        while not analysed:
            await asyncio.sleep(0.05)
        assert (student.screen_tap, student.live_track("screen")) == (None, None)
        assert student.live_track("camera") is not None
    finally:
        await student.close()
        await browser.close()
