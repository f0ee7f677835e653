"""Put the pieces of a recording on one timeline, in one WebM a browser plays and seeks (PyAV).

Lessons (:func:`combine`): video pieces (VP8 WebM from ``janus-pp-rec``) are copied packet by packet, never
decoded or re-encoded: a piece is a publisher's stream between a start and a stop (a reconnect starts a new one),
laid at its offset on the timeline; a packet that would go back in time (two pieces overlapping) is dropped.
Voices are decoded, mixed into one mono track and encoded once as Opus: a 48 kHz mono block of one second is mixed
at a time, so memory stays flat however long the lesson and however many voices (a whole-lesson buffer would be
~500 MB for 45 minutes). Silence before a voice starts, and in its gaps (Opus DTX), is silence in the mix.

Exam attempts (:func:`join`): one voice, so both the camera and the microphone of each piece
(:mod:`rtc.recording`) are copied as they are; :func:`waveform` draws the microphone for the review player.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 48_000
OPUS_FRAME_SAMPLES = 960  # 20 ms, what libopus takes
MIX_BLOCK_SAMPLES = RATE  # one second of mixed voice at a time
AUDIO_BIT_RATE = 32_000  # mono speech
SNAP_SAMPLES = OPUS_FRAME_SAMPLES // 2  # a frame this close to where the last one ended continues it


@dataclass(frozen=True)
class Piece:
    """A converted stream and where it starts on the timeline (seconds)."""

    path: Path
    offset: float


TimedPacket = tuple[float, int, av.Packet]  # (seconds on the timeline, stream order, packet)


def _copied_packets(pieces: list[Piece], kind: str, out_stream: av.stream.Stream, order: int) -> Iterator[TimedPacket]:
    """The ``kind`` ("video"/"audio") packets of the pieces that have such a stream, shifted to their offsets."""
    last = float("-inf")
    for piece in sorted(pieces, key=lambda p: p.offset):
        with av.open(str(piece.path)) as source:
            if not (streams := getattr(source.streams, kind)):
                continue
            stream = streams[0]
            base = stream.time_base or Fraction(1, 1000)
            shift = round(piece.offset / base)
            for packet in source.demux(stream):
                if packet.pts is None or packet.dts is None:
                    continue
                when = float((packet.pts + shift) * base)
                if when <= last:
                    continue
                last = when
                packet.pts += shift
                packet.dts += shift
                packet.stream = out_stream
                yield when, order, packet


def _voice(piece: Piece) -> Iterator[tuple[int, np.ndarray]]:
    """(first sample on the timeline, mono s16 samples) of one voice, in order."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    expected: int | None = None
    with av.open(str(piece.path)) as source:
        for frame in source.decode(source.streams.audio[0]):
            for mono in resampler.resample(frame):
                samples = mono.to_ndarray().reshape(-1)
                at = round((piece.offset + mono.time) * RATE) if mono.time is not None else expected
                if at is None or (expected is not None and abs(at - expected) <= SNAP_SAMPLES):
                    at = expected if expected is not None else round(piece.offset * RATE)
                expected = at + len(samples)
                yield at, samples


def _mixed(voices: list[Iterator[tuple[int, np.ndarray]]]) -> Iterator[tuple[int, np.ndarray]]:
    """One-second blocks of the voices summed (clipped to 16 bits) from sample 0 until the last voice ends."""
    heads = [next(voice, None) for voice in voices]
    start = 0
    while any(head is not None for head in heads):
        end = start + MIX_BLOCK_SAMPLES
        block = np.zeros(MIX_BLOCK_SAMPLES, np.int32)
        for index, voice in enumerate(voices):
            while (head := heads[index]) is not None and head[0] < end:
                at, samples = head
                low, high = max(at, start), min(at + len(samples), end)
                if high > low:
                    block[low - start : high - start] += samples[low - at : high - at]
                if at + len(samples) > end:
                    heads[index] = (end, samples[end - at :])
                    break
                heads[index] = next(voice, None)
        yield start, np.clip(block, -32768, 32767).astype(np.int16)
        start = end


def _audio_packets(pieces: list[Piece], out_stream: av.audio.stream.AudioStream, order: int) -> Iterator[TimedPacket]:
    time_base = Fraction(1, RATE)
    for start, block in _mixed([_voice(piece) for piece in pieces]):
        for at in range(0, len(block), OPUS_FRAME_SAMPLES):
            frame = av.AudioFrame.from_ndarray(
                block[at : at + OPUS_FRAME_SAMPLES].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate = RATE
            frame.pts = start + at
            frame.time_base = time_base
            for packet in out_stream.encode(frame):
                yield _timed(packet, order)
    for packet in out_stream.encode(None):
        yield _timed(packet, order)


def _timed(packet: av.Packet, order: int) -> TimedPacket:
    base = packet.time_base or Fraction(1, RATE)
    return float((packet.pts or 0) * base), order, packet


def combine(video: list[Piece], audio: list[Piece], target: Path) -> float:
    """Write ``target`` (WebM: the video pieces as they are, the voices mixed into Opus); its duration in seconds.

    Either list may be empty (not both): a recording without a camera is voice only.
    """
    if not video and not audio:
        raise ValueError("nothing to combine")
    template = av.open(str(video[0].path)) if video else None
    try:
        with av.open(str(target), mode="w", format="webm") as output:
            streams: list[Iterator[TimedPacket]] = []
            if template is not None:
                out_video = output.add_stream_from_template(template.streams.video[0])
                streams.append(_copied_packets(video, "video", out_video, 0))
            if audio:
                out_audio = output.add_stream("libopus", rate=RATE, layout="mono")
                out_audio.bit_rate = AUDIO_BIT_RATE
                streams.append(_audio_packets(audio, out_audio, 1))
            _interleave(output, streams)
    finally:
        if template is not None:
            template.close()
    return duration(target)


def _interleave(output: av.container.OutputContainer, streams: list[Iterator[TimedPacket]]) -> None:
    for _, _, packet in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
        output.mux(packet)


def join(pieces: list[Piece], target: Path) -> float:
    """Write ``target``: each piece's camera and microphone copied at its offset (none decoded); its duration.

    A stream's format comes from the first piece that has it; the pieces are one sender's, so they agree.
    """
    if not pieces:
        raise ValueError("nothing to join")
    sources = [av.open(str(piece.path)) for piece in sorted(pieces, key=lambda p: p.offset)]
    try:
        with av.open(str(target), mode="w", format="webm") as output:
            streams: list[Iterator[TimedPacket]] = []
            for order, kind in enumerate(("video", "audio")):
                if template := next((getattr(s.streams, kind)[0] for s in sources if getattr(s.streams, kind)), None):
                    out_stream = output.add_stream_from_template(template)
                    streams.append(_copied_packets(pieces, kind, out_stream, order))
            _interleave(output, streams)
    finally:
        for source in sources:
            source.close()
    return duration(target)


def waveform(path: Path, step: float = 0.1) -> list[float]:
    """The peak level (0..1) of the first audio stream in each ``step`` seconds from the file's start (an Opus frame,
    20 or 60 ms, counts in the step it starts in); [] without audio. Zero where the microphone was missing or sent
    nothing (DTX)."""
    return joined_waveform([Piece(path, 0.0)], step)


def joined_waveform(pieces: list[Piece], step: float = 0.1) -> list[float]:
    """The :func:`waveform` of the pieces on their timeline (as :func:`join` lays them), each piece decoded by a
    decoder of its own: a piece is a new Opus stream (a new peer's encoder), and one decoder across the join would
    carry the cut stream's state into the new one's first frame, a loud spike where the attempt was cut."""
    peaks: list[float] = []
    for piece in pieces:
        with av.open(str(piece.path)) as container:
            if not container.streams.audio:
                continue
            for frame in container.decode(container.streams.audio[0]):
                if frame.time is None:
                    continue
                index = int((piece.offset + frame.time) / step)
                if index >= len(peaks):
                    peaks += [0.0] * (index + 1 - len(peaks))
                peaks[index] = max(peaks[index], float(np.abs(frame.to_ndarray()).max(initial=0.0)))
    return [round(min(1.0, level), 3) for level in peaks]


def duration(path: Path) -> float:
    """Seconds, as the container says (what a player shows)."""
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base
