"""The proctor's live view forwards the student's encoded frames: a viewer joining mid-stream gets decodable
video from a keyframe on, and the server packetizes what it received instead of encoding it again."""

from __future__ import annotations

import asyncio
import logging

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.codecs import vpx

from rtc.forwarding import is_vp8_keyframe
from rtc.peer import StudentPeer, ViewerPeer


def test_vp8_keyframe_flag() -> None:
    assert is_vp8_keyframe(b"\x50\x01\x00\x9d\x01\x2a")  # frame tag bit 0 clear: key frame
    assert not is_vp8_keyframe(b"\x31\x02\x00")
    assert not is_vp8_keyframe(b"")


async def test_viewer_joining_mid_stream_gets_forwarded_decodable_video(private_network, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="aiortc.rtcrtpreceiver")
    packed = []
    original_pack = vpx.Vp8Encoder.pack
    monkeypatch.setattr(vpx.Vp8Encoder, "pack", lambda self, packet: packed.append(1) or original_pack(self, packet))
    analysed = []
    student = StudentPeer(on_frame=analysed.append, on_state=lambda state: None)
    camera = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # the student's browser, a synthetic camera
    camera.addTrack(VideoStreamTrack())
    await camera.setLocalDescription(await camera.createOffer())
    viewer_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    viewer = None
    try:
        answer = await student.answer(camera.localDescription.sdp)
        await camera.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        while len(analysed) < 15:  # the stream runs (about half a second) before anyone watches
            await asyncio.sleep(0.05)
        track = student.live_track()
        assert track is not None
        viewer = ViewerPeer(track)
        viewer_pc.addTransceiver("video", direction="recvonly")
        await viewer_pc.setLocalDescription(await viewer_pc.createOffer())
        answer = await viewer.answer(viewer_pc.localDescription.sdp)
        await viewer_pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        [received] = [t.receiver.track for t in viewer_pc.getTransceivers()]
        frames = [await asyncio.wait_for(received.recv(), 10) for _ in range(10)]
    finally:
        await viewer_pc.close()
        if viewer is not None:
            await viewer.close()
        await student.close()
        await camera.close()
    assert {(f.width, f.height) for f in frames} == {(analysed[0].width, analysed[0].height)}
    assert len(packed) >= 10, "the viewer's frames were packetized as received, not encoded again"
    assert not [r for r in caplog.records if "failed to decode" in r.getMessage()], "the viewer started on a keyframe"
