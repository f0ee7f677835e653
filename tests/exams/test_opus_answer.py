"""The exam's answer asks the microphone for 60-ms Opus frames with DTX (rtc.opus), and Chromium does send them:
counted at the server from the RTP timestamps of the frames the audio receiver reassembles."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from bench.audio_corpus import write_wav
from rtc.forwarding import EncodedFrameTap
from rtc.opus import FRAME_MS, ask_for_long_frames
from rtc.peer import StudentPeer

OFFER_AUDIO = [
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
]
VIDEO = ["m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rtpmap:96 VP8/90000", "a=fmtp:96 x-google-start-bitrate=300"]


def section(sdp: str, kind: str) -> list[str]:
    lines = sdp.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"m={kind}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    return lines[start:end]


def test_the_opus_section_asks_for_long_frames_and_dtx_and_nothing_else_changes() -> None:
    sdp = "\r\n".join(["v=0", *VIDEO, *OFFER_AUDIO, "a=ptime:20"]) + "\r\n"
    edited = ask_for_long_frames(sdp)
    audio = section(edited, "audio")
    assert "a=fmtp:111 minptime=60;useinbandfec=1;usedtx=1" in audio
    assert [line for line in audio if line.startswith(("a=ptime", "a=maxptime"))] == ["a=ptime:60", "a=maxptime:60"]
    assert section(edited, "video") == VIDEO
    assert ask_for_long_frames(edited) == edited  # asking twice changes nothing


def test_an_audio_section_without_opus_is_left_alone() -> None:
    sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
    assert ask_for_long_frames(sdp) == sdp


async def test_the_students_answer_carries_it_and_a_peer_accepts_it(private_network) -> None:
    student = StudentPeer(on_frame=lambda frame: None, on_state=lambda state: None)
    browser = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    browser.addTrack(VideoStreamTrack())
    browser.addTrack(AudioStreamTrack())
    try:
        await browser.setLocalDescription(await browser.createOffer())
        answer = await student.answer(browser.localDescription.sdp)
        await browser.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    finally:
        await student.close()
        await browser.close()
    audio = section(answer, "audio")
    assert f"a=ptime:{FRAME_MS}" in audio
    assert any(line.startswith("a=fmtp:") and "usedtx=1" in line for line in audio)


# --- Chromium --------------------------------------------------------------------------------------------------
PAGE = "http://127.0.0.1:9/"  # answered by the test itself (page.route): a secure context, no server
# The exam page always offers its camera with the microphone (StudentPeer expects one), here a small fake one.
OFFER_JS = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 160, height: 120 } });
  window.pc = new RTCPeerConnection();
  stream.getTracks().forEach((track) => window.pc.addTrack(track, stream));
  await window.pc.setLocalDescription(await window.pc.createOffer());
  while (window.pc.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
  return window.pc.localDescription.sdp;
}"""
SOUND_S = 12.0  # the file Chromium's fake microphone loops


def microphone(directory: Path, loud: bool) -> str:
    """A 48-kHz WAV for the fake microphone: a steady voice-band tone with noise, or digital silence."""
    t = np.arange(round(SOUND_S * 48000)) / 48000
    noise = np.random.default_rng(7).normal(0, 0.02, len(t))
    samples = 0.3 * np.sin(2 * np.pi * 220 * t) + noise if loud else np.zeros(len(t))
    return f"--use-file-for-fake-audio-capture={write_wav(directory / 'mic.wav', samples, 48000)}"


async def received_timestamps(browser_factory, directory: Path, loud: bool, media_seconds: float) -> list[int]:
    """The RTP timestamps of the Opus frames the student's peer receives from Chromium over ``media_seconds``."""
    browser = await browser_factory(extra_args=[microphone(directory, loud)])
    page = await (await browser.new_context()).new_page()
    await page.route(PAGE, lambda route: route.fulfill(status=200, content_type="text/html", body="<p>exam</p>"))
    await page.goto(PAGE)
    student = StudentPeer(on_frame=lambda frame: None, on_state=lambda state: None)
    timestamps: list[int] = []
    try:
        answer = await student.answer(await page.evaluate(OFFER_JS))
        (receiver,) = [t.receiver for t in student.pc.getTransceivers() if t.kind == "audio"]
        tap = EncodedFrameTap(receiver)
        tap.add_sink(lambda frame: timestamps.append(frame.timestamp))
        await page.evaluate("(sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp })", answer)
        async with asyncio.timeout(60):
            while not timestamps or timestamps[-1] - timestamps[0] < media_seconds * 48000:
                await asyncio.sleep(0.1)
    finally:
        await student.close()
    return timestamps


def per_media_second(timestamps: list[int]) -> float:
    return (len(timestamps) - 1) / ((timestamps[-1] - timestamps[0]) / 48000)


@pytest.mark.browser
@pytest.mark.media
async def test_chromium_sends_60_ms_frames_about_17_a_second(private_network, browser_factory, tmp_path) -> None:
    timestamps = await received_timestamps(browser_factory, tmp_path, loud=True, media_seconds=5)
    steps = np.diff(timestamps)
    assert statistics.median(steps) == FRAME_MS * 48
    assert 15 <= per_media_second(timestamps) <= 18


@pytest.mark.browser
@pytest.mark.media
async def test_a_silent_microphone_sends_almost_nothing(private_network, browser_factory, tmp_path) -> None:
    timestamps = await received_timestamps(browser_factory, tmp_path, loud=False, media_seconds=6)
    settled = [t for t in timestamps if t - timestamps[0] >= 48000]  # the encoder's first second is not DTX yet
    steps = np.diff(settled)
    # Chromium 156 measured: two 60-ms frames, then 360 ms of nothing (a comfort-noise update), ~4.8 packets/s.
    assert per_media_second(settled) <= 6
    assert sum(step for step in steps if step > FRAME_MS * 48) >= 0.7 * sum(steps)  # most of the time is gaps
