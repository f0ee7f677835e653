"""One account cannot hurt the others (issue 11, point 7), over a real daphne with its embedded media worker and real
aiortc peers: while a well-behaved student streams a scenario clip and passes the identity check, one hostile
student floods offers and another offers ten cameras and streams them. The hostile ones get error frames and keep
their sockets; daphne's memory stays within a stated bound and the good student's analysis keeps producing.

On the code before point 7 the flood got no error frame and the ten-track offer was answered: aiortc decoded all
ten tracks, and the nine nobody read grew daphne by 168 MB within seconds (the RSS watch below stops the hostile
stream at twice the bound, to spare the machine). With the rate limits but without the backpressure on daphne's
frame queue (server/ws/backpressure.py), the 10,000 refused offers of 12 KB still waited in daphne: +143 MB.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from bench.media import encode_clip
from bench.replay import send_replay
from proctor.media.protocol import MAX_OFFER_BYTES
from tests.exams.helpers import ClipTrack, camera_offer, next_event, open_session, scenario, stream_track
from tests.support import setups
from tests.support.client import logged_in, receive_json

pytestmark = pytest.mark.media

FLOOD_OFFERS = 10_000  # the figure
HOSTILE_TRACKS = 10
HOSTILE_FPS = 10  # each of the hostile cameras
RSS_GROWTH_BOUND_MB = 80  # daphne's resident memory may grow this much while under attack
GOOD_THUMBNAILS = 3  # thumbnail batches of the good student the proctor must see after its identity result


def rss_mb(pid: int) -> float:
    """The process's resident memory (VmRSS), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


async def many_camera_offer(packets: list[bytes]) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for _ in range(HOSTILE_TRACKS):
        send_replay(pc, packets, HOSTILE_FPS)
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def frames_until_pong(ws) -> list[dict]:
    """Every frame up to the answer of a ping sent now (frames answer messages in order)."""
    await ws.send(json.dumps({"type": "ping", "ref": "last"}))
    frames = []
    while (frame := await receive_json(ws, timeout=60))["type"] != "pong":
        frames.append(frame)
    return frames


async def test_a_hostile_client_leaves_memory_and_other_students_analysis_unaffected(
    private_network, make_exam, daphne_factory, live_env
):
    clip, reference = scenario("second_person")
    exam_id = make_exam(reference)  # the good student is enrolled with the clip's reference photo
    for name in ("flooder", "multicam"):
        live_env.call(setups.add_user, username=name, role="student", group="9А")
        live_env.call(setups.adult_consents, username=name)  # the worst case: their offers may reach the worker
    server = daphne_factory()
    sessions = {name: await open_session(server, exam_id, name) for name in ("student", "flooder", "multicam")}
    sockets = {}
    for name, session_id in sessions.items():
        sockets[name] = await logged_in(server.url, name).websocket(f"/ws/rtc/sessions/{session_id}/")
        assert (await receive_json(sockets[name]))["type"] == "session.state"
    proctor = await logged_in(server.url, "proctor").websocket(f"/ws/proctor/exams/{exam_id}/")
    assert (await receive_json(proctor))["type"] == "snapshot"

    good = sockets["student"]
    good_pc = await stream_track(good, ClipTrack(clip))
    await next_event(good, lambda f: f["type"] == "media.ok", timeout=20)
    baseline = rss_mb(server.process.pid)
    peak = baseline

    # The hostile camera set: ten tracks of 640x480 VP8, streamed if the server answers.
    packets = await asyncio.to_thread(encode_clip, clip, 640, 480, 10, 900_000)
    multicam_pc = await many_camera_offer(packets)
    await sockets["multicam"].send(json.dumps({"type": "offer", "sdp": multicam_pc.localDescription.sdp}))
    multicam_reply = await receive_json(sockets["multicam"], timeout=20)
    if multicam_reply["type"] == "answer":
        await multicam_pc.setRemoteDescription(RTCSessionDescription(sdp=multicam_reply["sdp"], type="answer"))

    async def watch_memory() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb(server.process.pid))
            if peak - baseline > 2 * RSS_GROWTH_BOUND_MB:
                await multicam_pc.close()  # already failed: stop before the machine runs out of memory
            await asyncio.sleep(0.2)

    watcher = asyncio.ensure_future(watch_memory())
    try:
        # The flood: offers of the largest size allowed, as fast as the socket takes them.
        flood_pc = await camera_offer()
        sdp = flood_pc.localDescription.sdp
        padding = "a=x-padding:" + "x" * (MAX_OFFER_BYTES - len(sdp) - 100) + "\r\n"  # as large as allowed
        offer = json.dumps({"type": "offer", "sdp": sdp + padding})
        for _ in range(FLOOD_OFFERS):
            await sockets["flooder"].send(offer)
        flood_frames = await frames_until_pong(sockets["flooder"])
        await flood_pc.close()

        # Meanwhile the good student is checked and analysed.
        await good.send(json.dumps({"type": "identity.check"}))
        result = await next_event(good, lambda f: f["type"] == "identity.result", timeout=60)
        good_session = str(sessions["student"])
        for _ in range(GOOD_THUMBNAILS):
            await next_event(proctor, lambda f: f["type"] == "thumbnails" and good_session in f["images"], timeout=30)
        multicam_frames = await frames_until_pong(sockets["multicam"])  # the socket still answers
    finally:
        watcher.cancel()
        await multicam_pc.close()
        await good_pc.close()

    growth = peak - baseline
    refused = [f for f in flood_frames if f["type"] == "error" and f["error"] == "rate_limited"]
    print(f"daphne RSS {baseline:.0f} MB before, peak {peak:.0f} MB (+{growth:.0f}); {len(refused)} offers refused")
    assert len(refused) >= FLOOD_OFFERS - 10, [f["type"] for f in flood_frames[:20]]
    assert "10 a minute" in refused[0]["detail"]
    assert (multicam_reply["type"], multicam_reply.get("error")) == ("error", "bad_sdp"), multicam_reply
    assert "10 m=video" in multicam_reply["detail"]
    assert not [f for f in multicam_frames if f["type"] == "answer"]
    assert result["identity"] == "verified"
    assert growth < RSS_GROWTH_BOUND_MB, f"daphne grew by {growth:.0f} MB under the hostile clients"
    for ws in (*sockets.values(), proctor):
        await ws.close()
