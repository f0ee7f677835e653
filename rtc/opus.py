"""What a microphone is asked to send: long Opus frames and silence left out (DTX), written into our SDP answer.

Most of a microphone's cost on the server is per packet in aiortc's Python receive path (SRTP, RTP, jitter
buffer), and Chromium sends a 20-ms Opus frame per packet, 50 a second, unless the answer asks
otherwise. libwebrtc's Opus encoder reads its frame length from the answer's ``a=ptime`` (bounded by
``a=maxptime`` and the fmtp ``minptime``) and turns DTX on for ``usedtx=1`` in the Opus fmtp: then a quiet
microphone sends one small comfort-noise packet every 400 ms instead of a frame every 60 ms. aiortc's own
answer copies the offer's Opus fmtp and carries no ptime, so :func:`ask_for_long_frames` edits the answer's text
(aiortc, only receiving, never reads these attributes back).

A receiver must therefore expect 60-ms frames and gaps in the RTP timestamps during silence (the recording lays
frames by timestamp, the listener hears a gap as silence: :mod:`rtc.recording`, :mod:`proctor.audio.listener`).
:class:`OpusDecoder` turns the packets into the PCM a listener wants, off the event loop (aiortc's own decoder, a
thread per track at 48 kHz stereo, is left out: :class:`rtc.forwarding.EncodedFrameTap` with ``decode=False``).
"""

from __future__ import annotations

import re

import av
import av.error
import numpy as np

CLOCK_RATE = 48000  # Opus's RTP clock, whatever the audio's own rate (RFC 7587)
FRAME_MS = 60  # Opus per packet: ~17 packets/s instead of 50 (Chromium 156 honours it, tests/exams/test_opus_answer)
FMTP = {"minptime": str(FRAME_MS), "useinbandfec": "1", "usedtx": "1"}  # the Opus parameters the answer carries

_OPUS_RTPMAP = re.compile(r"^a=rtpmap:(\d+) opus/48000", re.IGNORECASE)


def _fmtp_line(payload_type: str, existing: str | None) -> str:
    """The Opus fmtp line: the offer's parameters kept, ours set over them."""
    parameters: dict[str, str] = {}
    for item in (existing or "").split(";"):
        key, _, value = item.strip().partition("=")
        if key:
            parameters[key] = value
    parameters.update(FMTP)
    return f"a=fmtp:{payload_type} " + ";".join(f"{key}={value}" for key, value in parameters.items())


def _audio_section(lines: list[str]) -> list[str]:
    """One ``m=audio`` section's lines with the Opus frame length and DTX asked for (unchanged without Opus)."""
    payload_type = next((m.group(1) for line in lines if (m := _OPUS_RTPMAP.match(line))), None)
    if payload_type is None:
        return lines
    fmtp_prefix = f"a=fmtp:{payload_type} "
    existing = next((line[len(fmtp_prefix) :] for line in lines if line.startswith(fmtp_prefix)), None)
    kept = [line for line in lines if not line.startswith((fmtp_prefix, "a=ptime:", "a=maxptime:"))]
    rtpmap = next(index for index, line in enumerate(kept) if _OPUS_RTPMAP.match(line))
    kept.insert(rtpmap + 1, _fmtp_line(payload_type, existing))
    return [*kept, f"a=ptime:{FRAME_MS}", f"a=maxptime:{FRAME_MS}"]


def ask_for_long_frames(sdp: str) -> str:
    """The session description with every Opus ``m=audio`` section asking for 60-ms frames and DTX."""
    sections: list[list[str]] = [[]]
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    edited = [_audio_section(s) if s and s[0].startswith("m=audio") else s for s in sections]
    return "".join(line + "\r\n" for section in edited for line in section)


class MonoResampler:
    """Decoded audio frames of any layout and rate (Opus decodes at 48 kHz) to mono int16 samples at ``rate``."""

    def __init__(self, rate: int) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)

    def convert(self, frame: av.AudioFrame) -> np.ndarray:
        parts = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame)]
        return np.concatenate(parts).astype(np.int16, copy=False) if parts else np.zeros(0, dtype=np.int16)


class OpusDecoder:
    """One stream's Opus packets (as received, in order) to mono int16 samples at ``rate``.

    FFmpeg's own Opus decoder (through PyAV, 48 kHz mono: ~30 µs per 60-ms packet, half of aiortc's libopus
    decode to stereo) and a :class:`MonoResampler`. A packet FFmpeg cannot decode (a hostile or broken sender)
    gives no samples and leaves the decoder usable for the next one.
    """

    def __init__(self, rate: int) -> None:
        self._codec = av.CodecContext.create("opus", "r")
        self._codec.sample_rate, self._codec.layout = CLOCK_RATE, "mono"
        self._resampler = MonoResampler(rate)

    def decode(self, data: bytes) -> np.ndarray:
        try:
            frames = self._codec.decode(av.Packet(data))
        except av.error.FFmpegError:
            return np.zeros(0, dtype=np.int16)
        parts = [self._resampler.convert(frame) for frame in frames]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
